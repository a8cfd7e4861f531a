#!/usr/bin/python3
"""Stand-in ``nvidia-smi`` for GPU-less test hosts: prints what a given driver would print.

Installed as ``/usr/bin/nvidia-smi`` by the stand-in driver packages (equivs) inside the
namespaced Debian bookworm test hosts. Python 3 standard library only. The GPU is the only
thing faked in fleetbench's tests: everything above this boundary (gpu_facts, the drift gate,
the driver role) runs for real against this output.

Two files describe the fake machine:

1. The state file (JSON): what the *installed* driver package is and which GPUs exist.
   Path: ``$FLEETBENCH_STANDIN_STATE``, else ``/etc/fleetbench-standin/gpu.json``.

   {
     "driver_version": "570.133.20",   # required: version of the installed user-space driver
     "cuda_version": "12.8",           # required: CUDA driver API version that driver reports
     "loaded_module_file": "/etc/fleetbench-standin/loaded-module",   # optional, see 2.
     "gpus": [                          # optional; [] or absent = driver loaded, no GPU found
       {
         "name": "NVIDIA H100 80GB HBM3",              # required
         "uuid": "GPU-6f1b...",                        # default derived from index
         "bus_id": "00000000:AB:00.0",                 # default 00000000:<index+1>:00.0
         "vbios": "96.00.99.00.01",
         "memory_total_mib": 81559, "memory_used_mib": 0,
         "power_limit_w": 700, "default_power_limit_w": 700, "power_draw_w": 70.5,
         "temperature_c": 33,
         "utilization_pct": 0,
         "clocks": {"sm": 1980, "mem": 2619, "graphics": 1980,           # current, MHz
                    "app_sm": 1980, "app_mem": 2619,                     # application clocks
                    "max_sm": 1980, "max_mem": 2619},                    # max clocks
         "pcie": {"gen": 5, "gen_max": 5, "width": 16, "width_max": 16},
         "ecc": true,                    # true/false -> Enabled/Disabled, null -> N/A
         "mig": false,                   # true/false -> Enabled/Disabled, null -> N/A
         "persistence": true,            # true/false -> Enabled/Disabled
         "compute_mode": "Default",
         "processes": [{"pid": 4242, "name": "python3", "used_memory_mib": 1024}]
       }
     ]
   }

   Every per-GPU key except "name" has a default (see GPU_DEFAULTS below). Numbers may be
   given as null to print "N/A" / "[N/A]" as a real driver does for unsupported values.

2. The loaded-module file: stands in for ``/proc/driver/nvidia/version`` (which the test
   hosts cannot have), i.e. the kernel module that is *running*. Same text as the real file:

     NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.133.20  Tue Mar  4 ... UTC 2025
     GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)

   ("NVIDIA UNIX Open Kernel Module for x86_64" marks the open flavour.)
   Path: state key "loaded_module_file", else ``$FLEETBENCH_STANDIN_LOADED_MODULE``, else
   ``/etc/fleetbench-standin/loaded-module``. gpu_facts reads the same file through its
   ``proc_version_path`` option, so both agree on what is loaded.
   - file absent          -> no module loaded: exit 9, "NVIDIA-SMI has failed because it
                             couldn't communicate with the NVIDIA driver. ..."
   - version != driver_version of the state file -> "Failed to initialize NVML: Driver/library
                             version mismatch" (exit 18): a reboot is pending after an upgrade.
   A packager simulates "reboot" by copying the installed version into this file, and a
   first install with modprobe by writing it when absent.

Command lines understood (anything else: "Invalid combination of input arguments", exit 2):

  nvidia-smi                                   default table (550+ layout)
  nvidia-smi -q -x | --query --xml-format      XML shaped like nvsmi_device_v12.dtd
  nvidia-smi --query-gpu=F1,F2,... --format=csv[,noheader][,nounits]
      fields: see QUERY_FIELDS below; an unknown field prints the real driver's
      'Field "X" is not a valid field to query.' and exits 2. cuda_version is rejected,
      as some real drivers do.
  nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv[...]
  nvidia-smi -L | --list-gpus
  nvidia-smi --version
"""
