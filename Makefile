# Placeholder until the full build lands.
.PHONY: test
test:
	go test ./...
