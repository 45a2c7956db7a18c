# Thin wrappers: everything lives in dev.py so a machine without make works too.
.PHONY: demo test lint bench bench-money bench-dashboard bench-scale bench-search bench-slots bench-storm setup clean ci
demo:
	python3 dev.py demo
test:
	python3 dev.py test
lint:
	python3 dev.py lint
bench:
	python3 dev.py bench
bench-money:
	python3 dev.py bench money
bench-dashboard:
	python3 dev.py bench dashboard
bench-scale:
	python3 dev.py bench scale
bench-search:
	python3 dev.py bench search
bench-slots:
	python3 dev.py bench slots
bench-storm:
	python3 dev.py bench storm
setup:
	python3 dev.py setup
clean:
	python3 dev.py clean
ci:
	bash .ci/run
