// Package contract ties the catalog (internal/catalog) to the three things that must agree
// with it: the binary's targets, the gateway's routes and the operator's Deployments. Each
// side is exercised for real (a serve process per service, a gateway process, the operator
// against envtest), so that a mismatch fails here rather than in a cluster.
package contract

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/controllers"
	"github.com/events-platform/events-platform/internal/auth"
	"github.com/events-platform/events-platform/internal/catalog"
	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/platform"
	"github.com/events-platform/events-platform/test/integration"
)

// `platform serve --target=X` accepts exactly the provided services, the gateway and all.
func TestBinaryTargetsAreTheCatalogs(t *testing.T) {
	want := append(catalog.Targets(), "all")
	slices.Sort(want)
	if got := platform.Targets(); !slices.Equal(got, want) {
		t.Fatalf("serve --target accepts %v; the catalog provides %v", got, want)
	}
}

// Every path a provided service serves (its own OpenAPI document, from a process running
// only it) is routed by the gateway to that service, and every route of the catalog
// reaches its owner through the gateway process.
func TestGatewayRoutesEveryServiceToItsOwner(t *testing.T) {
	env := processEnv(t)

	// Upstreams that say who they are, at every catalog service's <NAME>_URL.
	gwEnv := maps(env, map[string]string{"RATE_LIMIT_PER_MINUTE": "1000000", "RATE_LIMIT_BURST": "1000000"})
	for _, s := range catalog.Services() {
		name := s.Name
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Owner", name)
		}))
		t.Cleanup(echo.Close)
		gwEnv[s.URLVar()] = echo.URL
	}
	gateway := serve(t, gwEnv, "gateway")
	ownerOf := func(path string) string {
		res, err := http.Get(gateway + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("X-Owner")
	}

	for _, s := range catalog.Services() {
		for _, route := range s.Routes {
			path := route
			if strings.HasSuffix(route, "/") {
				path += "x"
			}
			if got := ownerOf(path); got != s.Name {
				t.Errorf("catalog route %s of %s: the gateway sends %s to %q", route, s.Name, path, got)
			}
		}
	}

	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, name := range catalog.ProvidedNames() {
		base := serve(t, maps(env, nil), name)
		res, err := http.Get(base + "/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		err = json.NewDecoder(res.Body).Decode(&doc)
		res.Body.Close()
		if err != nil || len(doc.Paths) == 0 {
			t.Fatalf("%s /openapi.json: %v, %d paths", name, err, len(doc.Paths))
		}
		for path := range doc.Paths {
			concrete := param.ReplaceAllString(path, "1")
			if got := ownerOf(concrete); got != name {
				t.Errorf("%s serves %s, but the gateway sends it to %q", name, path, got)
			}
		}
	}
}

// The operator deploys, for the minimal sample, one Deployment per target the binary
// accepts (but all), each running `serve --target=<it>`, and no CronJob for a command the
// binary lacks.
func TestOperatorDeploysExactlyTheBinarysTargets(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run with KUBEBUILDER_ASSETS=\"$(hack/setup-envtest.sh)\"")
	}
	scheme := runtime.NewScheme()
	must(t, clientgoscheme.AddToScheme(scheme))
	must(t, platformv1alpha1.AddToScheme(scheme))
	te := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := te.Start()
	must(t, err)
	t.Cleanup(func() { _ = te.Stop() })
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	must(t, err)
	must(t, (&controllers.EventsPlatformReconciler{Recorder: mgr.GetEventRecorder("contract")}).SetupWithManager(mgr))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	k, err := client.New(cfg, client.Options{Scheme: scheme})
	must(t, err)

	p := &platformv1alpha1.EventsPlatform{
		ObjectMeta: metav1.ObjectMeta{Name: "contract", Namespace: "default"},
		Spec:       platformv1alpha1.EventsPlatformSpec{Version: "1.0.0"},
	}
	must(t, k.Create(ctx, p))
	// Play the StatefulSet and Job controllers: dependencies ready, migration complete.
	eventually(t, "the dependencies are ready", func() error {
		var list appsv1.StatefulSetList
		if err := k.List(ctx, &list, client.InNamespace("default")); err != nil {
			return err
		}
		if len(list.Items) < 3 {
			return fmt.Errorf("%d StatefulSets", len(list.Items))
		}
		for i := range list.Items {
			s := &list.Items[i]
			n := ptr.Deref(s.Spec.Replicas, 1)
			s.Status = appsv1.StatefulSetStatus{ObservedGeneration: s.Generation, Replicas: n, ReadyReplicas: n,
				CurrentReplicas: n, UpdatedReplicas: n, AvailableReplicas: n}
			if err := k.Status().Update(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	eventually(t, "the migration is complete", func() error {
		var jobs batchv1.JobList
		if err := k.List(ctx, &jobs, client.InNamespace("default")); err != nil {
			return err
		}
		if len(jobs.Items) == 0 {
			return fmt.Errorf("no migration Job yet")
		}
		j := &jobs.Items[0]
		now := metav1.Now()
		start := metav1.NewTime(now.Add(-time.Second))
		j.Status.StartTime, j.Status.CompletionTime, j.Status.Succeeded = &start, &now, 1
		j.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: "True", LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: "True", LastTransitionTime: now},
		}
		return k.Status().Update(ctx, j)
	})

	want := slices.DeleteFunc(platform.Targets(), func(s string) bool { return s == "all" })
	var got []string
	eventually(t, "a Deployment per target", func() error {
		var list appsv1.DeploymentList
		if err := k.List(ctx, &list, client.InNamespace("default")); err != nil {
			return err
		}
		got = got[:0]
		for _, d := range list.Items {
			args := d.Spec.Template.Spec.Containers[0].Args
			if len(args) != 2 || args[0] != "serve" || !strings.HasPrefix(args[1], "--target=") {
				return fmt.Errorf("Deployment %s runs %v, not serve --target=<one>", d.Name, args)
			}
			got = append(got, strings.TrimPrefix(args[1], "--target="))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("Deployments run targets %v", got)
		}
		return nil
	})
	var cronJobs batchv1.CronJobList
	must(t, k.List(ctx, &cronJobs, client.InNamespace("default")))
	for _, cj := range cronJobs.Items {
		if args := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args; slices.Contains(args, "retrain") && !catalog.HasRetrain {
			t.Errorf("CronJob %s runs `platform retrain`, which the binary does not have", cj.Name)
		}
	}
	// Let the operator settle, then check nothing else appeared.
	time.Sleep(time.Second)
	var list appsv1.DeploymentList
	must(t, k.List(ctx, &list, client.InNamespace("default")))
	if len(list.Items) != len(want) {
		t.Errorf("the operator deploys %d Deployments; the binary has %d targets (%v)", len(list.Items), len(want), want)
	}
}

// processEnv is the configuration of a serve process against the local dependencies.
func processEnv(t *testing.T) map[string]string {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pemBytes, _ := auth.EncodePrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "signing-key.pem")
	must(t, os.WriteFile(keyFile, pemBytes, 0o600))
	return map[string]string{
		"DATABASE_URL":         integration.DatabaseURL(t),
		"REDIS_URL":            integration.RedisURL(t),
		"NATS_URL":             integration.NATSURL(t),
		"JWT_PRIVATE_KEY_FILE": keyFile,
		"LOG_LEVEL":            "warn",
		"SHUTDOWN_TIMEOUT":     "5s",
	}
}

func maps(base, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// serve runs `platform serve --target=<target>` until the test ends and returns its base URL
// once it is ready.
func serve(t *testing.T, env map[string]string, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	env["HTTP_ADDR"] = ln.Addr().String()
	ln.Close()
	cfg, err := config.Load(func(k string) string { return env[k] })
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- platform.Serve(ctx, cfg, platform.Options{Targets: []string{target}}, io.Discard, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + env["HTTP_ADDR"]
	eventually(t, "serve --target="+target+" is ready", func() error {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", res.StatusCode)
		}
		return nil
	})
	return base
}

func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
