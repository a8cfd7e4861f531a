# The fleet report: results callback, fleet_report/compare_runs filters, report role.
.PHONY: test-report report bench-report

test-report: setup-controller ## report tests: incident replays, callback + role in ansible-playbook, HTML in headless Chromium
	$(BIN)/pytest tests/unit/plugins/plugin_utils/report tests/unit/plugins/filter tests/unit/plugins/doc_fragments \
	  tests/integration/report

report: setup-controller ## render results/$(RUN_ID)/report.{md,html,json} again; BASELINE=results/<id>/results.json adds A/B
	@test -n "$(RUN_ID)" || { echo "make report: set RUN_ID=<run id> (a folder under results/)"; exit 2; }
	$(BIN)/ansible-playbook -i localhost, -c local -e ansible_python_interpreter=$(CURDIR)/$(BIN)/python playbooks/report.yml \
	  -e fleetbench_run_id=$(RUN_ID) -e fleetbench_report_results_dir=$(CURDIR)/results \
	  -e fleetbench_report_baseline=$(BASELINE)

bench-report: setup-controller ## time the report for a 1,000-host fleet with repeats and a baseline run; BEFORE=<git ref> times that code side by side (updates BENCHMARKS.md)
	$(BIN)/python benchmarks/bench_report.py $(if $(BEFORE),--before $(BEFORE))
