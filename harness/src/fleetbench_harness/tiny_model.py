"""A random-weights Llama with a locally trained tokenizer, in Hugging Face format, made offline.

The shape is the smallest FACTS.md found vLLM's CPU attention to accept (head_dim 64)."""
from __future__ import annotations

import pathlib
import tempfile

from fleetbench_harness.errors import BadInput
from fleetbench_harness.synthetic_text import corpus

BOS = "<|begin_of_text|>"
EOS = "<|end_of_text|>"
VOCAB_SIZE = 512


def train_tokenizer(seed: int = 0):
    """Byte-level BPE trained on synthetic text, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=[BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus(seed), trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", special_tokens=[(BOS, tokenizer.token_to_id(BOS))])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=BOS, eos_token=EOS,
                                   pad_token=EOS, model_max_length=4096)


def make_tiny_model(output: pathlib.Path, seed: int = 0) -> pathlib.Path:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BadInput(f"make-tiny-model: {output} already exists and is not empty")
    output.parent.mkdir(parents=True, exist_ok=True)
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_tokenizer(seed)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=256, intermediate_size=512, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False, torch_dtype="bfloat16")
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    # Written beside the target and renamed, so an interrupted build never passes for a model.
    partial = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    partial.chmod(0o755)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    if output.is_dir() and not any(output.iterdir()):
        output.rmdir()
    partial.rename(output)
    return output
