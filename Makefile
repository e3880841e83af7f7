# Events Platform: the operator and the services it runs.
# `make dev` runs everything locally; `make test` runs every test. `make help` lists the rest.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# VERSION is the one version source: the binaries' `version`, the image tags, the chart's
# version and appVersion and the samples' spec.version (a test checks that they agree).
VERSION ?= $(shell cat VERSION)
IMG ?= ghcr.io/events-platform/events-platform:$(VERSION)
OPERATOR_IMG ?= ghcr.io/events-platform/events-platform-operator:$(VERSION)
LDFLAGS := -s -w -X github.com/events-platform/events-platform/internal/buildinfo.Version=$(VERSION)

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
CONTROLLER_TOOLS_VERSION ?= v0.23.0
HELM ?= $(LOCALBIN)/helm
HELM_VERSION ?= v3.22.0
# The Kubernetes version helm assumes without a cluster (helm template, lint): helm's own
# Makefile derives it from the k8s.io/client-go it is built with (v0.37 for v3.22.0 -> 1.37).
HELM_K8S_MAJOR ?= 1
HELM_K8S_MINOR ?= 37
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/internal/version.metadata= -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$(HELM_K8S_MAJOR) -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR) \
	-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$(HELM_K8S_MAJOR) -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR)
ENVTEST_K8S_VERSION ?= 1.37.2
GO_TEST_FLAGS ?= -count=1 -timeout=20m
# Fuzz targets: make test runs each for a fixed count of inputs, make fuzz for a time each.
FUZZTIME_TEST ?= 200x
FUZZTIME ?= 60s
FUZZ ?= .

GO_FILES = $$(find . -name '*.go' -not -path './bin/*' -not -path './.local/*')

# Local dependencies' connection settings (hack/deps.sh env), for targets that need them.
DEPS_ENV = eval "$$(hack/deps.sh env)"

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: dev
dev: deps-up build-platform ## Run the whole platform locally (migrate, seed, retrain, serve --target=all on :8080).
	@$(DEPS_ENV); export JWT_PRIVATE_KEY_FILE="$${JWT_PRIVATE_KEY_FILE:-$(CURDIR)/.local/jwt/signing-key.pem}"; \
	bin/platform migrate up && bin/platform seed && bin/platform retrain && exec bin/platform serve --target=all --dev

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -w $(GO_FILES)

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: vet ## Check formatting and vet (no third-party linter is fetched).
	@out="$$(gofmt -l $(GO_FILES))"; if [[ -n "$$out" ]]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: controller-gen ## Generate the CRD, RBAC and copy the CRD into the Helm chart.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases
	cp config/crd/bases/*.yaml charts/events-platform/files/crds/
	@if [[ -d charts/events-platform/files ]]; then cp config/rbac/role.yaml charts/events-platform/files/manager-role.yaml; fi

.PHONY: test
test: deps-up envtest lint ## Run every test against real PostgreSQL, Redis, NATS and kube-apiserver.
	@$(DEPS_ENV); export KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh)"; export PATH="$(LOCALBIN):$$PATH"; \
	go test $(GO_TEST_FLAGS) ./...
	@$(DEPS_ENV); hack/fuzz.sh $(FUZZTIME_TEST)

.PHONY: fuzz
fuzz: deps-up ## Run every fuzz target for FUZZTIME each (default 60s; FUZZ=regexp picks targets).
	@$(DEPS_ENV); hack/fuzz.sh $(FUZZTIME) '$(FUZZ)'

##@ Dependencies (local)

.PHONY: deps-up
deps-up: ## Start PostgreSQL, Redis and NATS on loopback (installs them when missing).
	hack/deps.sh up

.PHONY: deps-down
deps-down: ## Stop the local dependencies this project started.
	hack/deps.sh down

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd for envtest into bin/k8s (once).
	@hack/setup-envtest.sh >/dev/null

##@ Build

.PHONY: version
version: ## Print the version (the VERSION file, or VERSION=...).
	@echo $(VERSION)

.PHONY: build build-platform
build: build-platform ## Build bin/platform and bin/manager.
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/manager ./cmd/manager

build-platform:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/platform ./cmd/platform

.PHONY: docker-build
docker-build: ## Build the images (needs a container engine).
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "docker-build: no container engine is running here"; exit 1; }
	docker build --build-arg VERSION=$(VERSION) --target platform -t $(IMG) .
	docker build --build-arg VERSION=$(VERSION) --target manager -t $(OPERATOR_IMG) .

##@ Tools

.PHONY: controller-gen helm
controller-gen: $(CONTROLLER_GEN) ## Build the pinned controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

# helm is built with the version ldflags of its own Makefile: without them it reports
# version "v3.22" and assumes Kubernetes 1.20, so `helm template` refuses the chart's
# kubeVersion. A helm of another version or built without them is rebuilt.
helm: ## Build the pinned helm into bin/ (with its version ldflags).
	@if [[ "$$($(HELM) version --template '{{.Version}}' 2>/dev/null)" != "$(HELM_VERSION)" ]]; then \
		echo "building helm $(HELM_VERSION) into $(LOCALBIN)"; \
		GOBIN=$(LOCALBIN) CGO_ENABLED=0 go install -trimpath -ldflags '$(HELM_LDFLAGS)' helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); \
	fi

##@ Operator

KUBECTL ?= kubectl
KUSTOMIZE ?= $(KUBECTL) kustomize

.PHONY: install
install: manifests ## Install the EventsPlatform CRD into the cluster of the current kubeconfig.
	$(KUSTOMIZE) config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests ## Remove the EventsPlatform CRD (and every EventsPlatform) from the cluster.
	$(KUSTOMIZE) config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests ## Deploy the operator with kustomize (config/default), image OPERATOR_IMG.
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; cp -r config "$$tmp/"; img="$(OPERATOR_IMG)"; \
	sed -i -e "s#newName: .*#newName: $${img%:*}#" -e "s#newTag: .*#newTag: $${img##*:}#" "$$tmp/config/manager/kustomization.yaml"; \
	$(KUSTOMIZE) "$$tmp/config/default" | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove the operator deployed by `make deploy` (the CRD too).
	$(KUSTOMIZE) config/default | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: run
run: manifests ## Run the operator here against the cluster of the current kubeconfig (metrics on :8080).
	go run ./cmd/manager --metrics-bind-address=:8080 --metrics-secure=false --health-probe-bind-address=:8081

.PHONY: helm-lint
helm-lint: helm manifests ## Lint the Helm chart strictly, with default values and with every value set.
	$(HELM) lint --strict charts/events-platform
	$(HELM) lint --strict charts/events-platform -f charts/events-platform/ci/full-values.yaml

.PHONY: e2e
e2e: ## End-to-end tests on a real cluster: kind when a container engine runs, else hack/cluster.sh's single node (root; changes host settings and restores them).
	hack/e2e.sh

# The chart tests of `make test` run bin/helm.
test: helm

##@ Load scenarios (loopback, bounded)

.PHONY: bench-gateway
bench-gateway: deps-up ## Load scenario: login and /users/me through the gateway and directly.
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load gateway

.PHONY: bench-search
bench-search: deps-up ## Load scenario: 1M seeded events (once); 25 query shapes, 8 clients x 8 s each, endpoint vs the obvious PostgreSQL search; 100 searches/s open loop for 60 s; autocomplete; write cost; goals PASS/FAIL (~10 min).
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load -duration 60s search

.PHONY: bench-realtime
bench-realtime: deps-up ## Load scenario: 5k, 10k and 19.5k websockets over 100 event channels, 500 publications/s for 10 s through JetStream, vs a stock centrifuge node; delivered/s, p50/p99, KB per connection, CPU per 1k messages.
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load -duration 10s realtime

.PHONY: bench-analytics
bench-analytics: deps-up ## Load scenario: 16 clients posting batches of 100 and 1,000 interactions for 10 s each vs raw COPY; event stats and overviews over 10M seeded interactions (seeded once and kept); interactions/s, p50/p99, goals PASS/FAIL (~6 min the first time, ~3 min after).
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load -duration 10s analytics

.PHONY: bench-recommendations
bench-recommendations: deps-up ## Load scenario: platform retrain on 100k users x 50k events x 1M interactions (seeded once and kept), time and peak RSS; the recommendations service, 50 clients for 10 s each: cold (a new user each request), warm (500 users, cached), similar events; p50/p99, goals PASS/FAIL (~4 min the first time, ~3 min after).
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load recommendations

.PHONY: bench-curation
bench-curation: deps-up ## Load scenario: trending and featured over 1M events x 10M interactions (seeded once and kept, copied each run), 50 clients for 10 s each over a mix of queries vs the obvious SQL; a registration burst through the gateway until the event is in the top 10; board load, scoring, RSS; goals PASS/FAIL (~12 min the first time, ~5 min after).
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load curation

.PHONY: bench-registrations
bench-registrations: deps-up ## Load scenario: one hot event, 2,000 concurrent clients registering; registrations/s, p99, oversell.
	@$(DEPS_ENV); $(MAKE) build-platform >/dev/null; go run ./test/load -duration 60s registrations
