/*
Copyright 2026 The Events Platform Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controllers

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

var _ = Describe("Reconciling the sample EventsPlatform", func() {
	var (
		ns string
		p  *platformv1alpha1.EventsPlatform
	)
	BeforeEach(func() {
		ns = newNamespace()
		p = newPlatform(ns, "demo", "1.0.0")
	})

	It("creates every child object with the right images, args, env, probes, owners and labels", func() {
		start := time.Now()
		Expect(k8sClient.Create(ctx, p)).To(Succeed())

		By("generating the Secrets once")
		jwt := &corev1.Secret{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-jwt"), jwt) }, eventually, poll).Should(Succeed())
		block, _ := pem.Decode(jwt.Data["private.pem"])
		Expect(block).NotTo(BeNil())
		Expect(block.Type).To(Equal("PRIVATE KEY"))
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		Expect(err).NotTo(HaveOccurred())
		block, _ = pem.Decode(jwt.Data["public.pem"])
		Expect(block.Type).To(Equal("PUBLIC KEY"))
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		Expect(err).NotTo(HaveOccurred())
		Expect(priv.(ed25519.PrivateKey).Public()).To(Equal(pub))
		pg := &corev1.Secret{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-postgres-credentials"), pg) }, eventually, poll).Should(Succeed())
		Expect(string(pg.Data["url"])).To(HavePrefix("postgres://platform:"))
		Expect(string(pg.Data["url"])).To(HaveSuffix("@demo-postgres." + ns + ".svc:5432/platform?sslmode=disable"))

		By("running the dependencies as StatefulSets behind Services")
		for _, c := range []string{"postgres", "redis", "nats"} {
			sts := &appsv1.StatefulSet{}
			Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-"+c), sts) }, eventually, poll).Should(Succeed())
			Expect(sts.Spec.ServiceName).To(Equal("demo-" + c + "-headless"))
			Expect(sts.Spec.VolumeClaimTemplates).To(HaveLen(1))
			Expect(sts.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted).To(Equal(appsv1.RetainPersistentVolumeClaimRetentionPolicyType))
			expectOwnedAndLabelled(p, sts, c)
			for _, name := range []string{"demo-" + c, "demo-" + c + "-headless"} {
				svc := &corev1.Service{}
				Expect(k8sClient.Get(ctx, key(p, name), svc)).To(Succeed())
				expectOwnedAndLabelled(p, svc, c)
			}
		}

		By("waiting for the dependencies before migrating, and for the migration before the services")
		Expect(k8sClient.Get(ctx, key(p, "demo-migrate-1-0-0"), &batchv1.Job{})).To(Satisfy(apierrors.IsNotFound))
		markAllDependenciesReady(p)
		job := &batchv1.Job{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-migrate-1-0-0"), job) }, eventually, poll).Should(Succeed())
		Expect(job.Spec.Template.Spec.Containers[0].Image).To(Equal("ghcr.io/events-platform/events-platform:1.0.0"))
		Expect(job.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"migrate", "up"}))
		Expect(job.Spec.Template.Spec.Containers[0].Env).To(ContainElement(HaveField("Name", "DATABASE_URL")))
		expectOwnedAndLabelled(p, job, "migrations")
		Expect(deploymentImages(p)).To(BeEmpty())
		finishJob(ns, job.Name, true)

		By("running one Deployment and Service per service and the gateway")
		Eventually(func() map[string]string { return deploymentImages(p) }, eventually, poll).
			Should(Equal(imagesAll("ghcr.io/events-platform/events-platform:1.0.0")))
		cj := &batchv1.CronJob{}
		if catalog.HasRetrain {
			Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-retrain"), cj) }, eventually, poll).Should(Succeed())
		}
		elapsed := time.Since(start)
		AddReportEntry("time from creating the sample to all child objects present", elapsed.String())
		GinkgoWriter.Printf("time from creating the sample to all child objects present: %s\n", elapsed)

		for _, c := range allDeployments {
			d := &appsv1.Deployment{}
			Expect(k8sClient.Get(ctx, key(p, "demo-"+c), d)).To(Succeed())
			expectOwnedAndLabelled(p, d, c)
			Expect(d.Spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
			Expect(d.Spec.Template.Annotations).To(HaveKey(configHashAnnotation))
			pod := d.Spec.Template.Spec
			Expect(pod.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
			Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
			ctr := pod.Containers[0]
			Expect(ctr.Command).To(Equal([]string{"/platform"}))
			Expect(ctr.Args).To(Equal([]string{"serve", "--target=" + c}))
			Expect(ctr.SecurityContext.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
			Expect(ctr.SecurityContext.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
			Expect(ctr.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
			Expect(ctr.LivenessProbe.HTTPGet.Path).To(Equal("/health"))
			Expect(ctr.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
			Expect(ctr.Ports).To(ConsistOf(HaveField("ContainerPort", BeEquivalentTo(8080))))
			env := envMap(ctr.Env)
			Expect(env).To(HaveKeyWithValue("HTTP_ADDR", ":8080"))
			Expect(env).To(HaveKeyWithValue("LOG_FORMAT", "json"))
			Expect(env).To(HaveKeyWithValue("REDIS_URL", "redis://demo-redis."+ns+".svc:6379/0"))
			Expect(env).To(HaveKeyWithValue("NATS_URL", "nats://demo-nats."+ns+".svc:4222"))
			Expect(env).To(HaveKeyWithValue("JWT_PUBLIC_KEYS_FILE", "/etc/platform/jwt/public.pem"))
			Expect(env).To(HaveKey("DATABASE_URL"))
			if c == "users" {
				Expect(env).To(HaveKeyWithValue("JWT_PRIVATE_KEY_FILE", "/etc/platform/jwt/private.pem"))
			} else {
				Expect(env).NotTo(HaveKey("JWT_PRIVATE_KEY_FILE"))
			}
			if c == "gateway" {
				Expect(env).To(HaveKeyWithValue("USERS_URL", "http://demo-users:8080"))
				Expect(env).To(HaveKeyWithValue("SEARCH_URL", "http://demo-search:8080"))
				Expect(env).To(HaveKeyWithValue("RATE_LIMIT_PER_MINUTE", "600"))
			}
			svc := &corev1.Service{}
			Expect(k8sClient.Get(ctx, key(p, "demo-"+c), svc)).To(Succeed())
			expectOwnedAndLabelled(p, svc, c)
			Expect(svc.Spec.Selector).To(Equal(selectorLabels(p, c)))
		}
		if catalog.HasRetrain {
			Expect(cj.Spec.ConcurrencyPolicy).To(Equal(batchv1.ForbidConcurrent))
			Expect(cj.Spec.Schedule).To(Equal("0 */6 * * *"))
			Expect(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args).To(Equal([]string{"retrain"}))
		}

		By("reporting the status the printer columns show")
		markDeploymentsAvailable(p)
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseReady))
		got := getPlatform(p)
		Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		Expect(got.Status.ReadyComponents).To(Equal(allComponents))
		Expect(got.Status.Endpoint).To(Equal("http://demo-gateway." + ns + ".svc:8080"))
		Expect(got.Status.SchemaVersion).To(Equal("1.0.0"))
		for _, c := range got.Status.Conditions {
			Expect(c.ObservedGeneration).To(Equal(got.Generation), c.Type)
		}
		if catalog.HasRetrain {
			Expect(conditionOf(p, platformv1alpha1.ConditionRetrainingScheduled)()).To(HaveField("Status", metav1.ConditionTrue))
		}

		out, err := kubectl("get", "evp", "-n", ns)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(MatchRegexp(`NAME\s+READY\s+PHASE\s+VERSION\s+COMPONENTS\s+ENDPOINT\s+AGE`))
		Expect(out).To(MatchRegexp(`demo\s+True\s+Ready\s+1\.0\.0\s+` + allComponents + `\s+http://demo-gateway\.` + ns + `\.svc:8080`))
	})

	It("keeps the generated Secrets with the data: unowned while the data is retained, so that the platform made again opens it", func() {
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		secret := func(name string) func() *corev1.Secret {
			return func() *corev1.Secret {
				s := &corev1.Secret{}
				Expect(k8sClient.Get(ctx, key(p, name), s)).To(Succeed())
				return s
			}
		}
		for _, name := range []string{"demo-jwt", "demo-postgres-credentials"} {
			Eventually(func() error { return k8sClient.Get(ctx, key(p, name), &corev1.Secret{}) }, eventually, poll).Should(Succeed())
			Expect(secret(name)().OwnerReferences).To(BeEmpty(), name)
		}
		password := string(secret("demo-postgres-credentials")().Data["password"])

		By("owning them once the data goes with the platform, and letting go again")
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.RetainDataOnDelete = ptr.To(false) })
		uid := getPlatform(p).UID
		for _, name := range []string{"demo-jwt", "demo-postgres-credentials"} {
			Eventually(func() []metav1.OwnerReference { return secret(name)().OwnerReferences }, eventually, poll).
				Should(ConsistOf(HaveField("UID", uid)), name)
		}
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.RetainDataOnDelete = nil })
		for _, name := range []string{"demo-jwt", "demo-postgres-credentials"} {
			Eventually(func() []metav1.OwnerReference { return secret(name)().OwnerReferences }, eventually, poll).Should(BeEmpty(), name)
		}

		By("carrying on with them when the platform is made again")
		Expect(k8sClient.Delete(ctx, getPlatform(p))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), &platformv1alpha1.EventsPlatform{}))
		},
			eventually, poll).Should(BeTrue())
		again := newPlatform(p.Namespace, p.Name, "1.0.0")
		Expect(k8sClient.Create(ctx, again)).To(Succeed())
		Eventually(func() error {
			sts := &appsv1.StatefulSet{}
			return k8sClient.Get(ctx, key(again, "demo-postgres"), sts)
		}, eventually, poll).Should(Succeed())
		Expect(string(secret("demo-postgres-credentials")().Data["password"])).To(Equal(password))
	})

	It("goes Provisioning → Migrating → Ready as its dependencies, migration and Deployments become ready", func() {
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseProvisioning))
		Expect(conditionOf(p, platformv1alpha1.ConditionReady)()).To(HaveField("Status", metav1.ConditionFalse))
		Expect(conditionOf(p, platformv1alpha1.ConditionDependenciesReady)()).To(HaveField("Reason", platformv1alpha1.ReasonDependenciesNotReady))

		markAllDependenciesReady(p)
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseMigrating))
		Expect(conditionOf(p, platformv1alpha1.ConditionMigrationsComplete)()).To(HaveField("Reason", platformv1alpha1.ReasonMigrationRunning))

		finishJob(ns, "demo-migrate-1-0-0", true)
		Eventually(conditionOf(p, platformv1alpha1.ConditionMigrationsComplete), eventually, poll).
			Should(HaveField("Status", metav1.ConditionTrue))
		Expect(phaseOf(p)()).To(Equal(platformv1alpha1.PhaseProvisioning))
		Expect(conditionOf(p, platformv1alpha1.ConditionServicesReady)()).To(HaveField("Reason", platformv1alpha1.ReasonRollingOut))

		markDeploymentsAvailable(p)
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseReady))
		ready := conditionOf(p, platformv1alpha1.ConditionReady)()
		Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		Expect(ready.ObservedGeneration).To(Equal(getPlatform(p).Generation))
		Expect(conditionOf(p, platformv1alpha1.ConditionDegraded)()).To(HaveField("Status", metav1.ConditionFalse))
	})

	It("runs the new version's migration before any Deployment changes its image", func() {
		bringUp(p)
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Version = "1.1.0" })

		job := &batchv1.Job{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-migrate-1-1-0"), job) }, eventually, poll).Should(Succeed())
		Expect(job.Spec.Template.Spec.Containers[0].Image).To(Equal("ghcr.io/events-platform/events-platform:1.1.0"))
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseMigrating))
		Expect(conditionOf(p, platformv1alpha1.ConditionReady)()).To(HaveField("Status", metav1.ConditionFalse))
		Consistently(func() map[string]string { return deploymentImages(p) }, "2s", poll).
			Should(Equal(imagesAll("ghcr.io/events-platform/events-platform:1.0.0")))

		finishJob(ns, job.Name, true)
		Eventually(func() map[string]string { return deploymentImages(p) }, eventually, poll).
			Should(Equal(imagesAll("ghcr.io/events-platform/events-platform:1.1.0")))
		// The status is written after the Deployments are applied.
		Eventually(func() string { return getPlatform(p).Status.SchemaVersion }, eventually, poll).Should(Equal("1.1.0"))
		markDeploymentsAvailable(p)
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseReady))
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "demo-migrate-1-0-0"), &batchv1.Job{}) }, eventually, poll).
			Should(Satisfy(apierrors.IsNotFound), "the old migration Job is pruned")
	})

	It("keeps the old version running and reports Degraded when the migration fails", func() {
		bringUp(p)
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Version = "1.1.0" })
		finishJob(ns, "demo-migrate-1-1-0", false)

		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseDegraded))
		degraded := conditionOf(p, platformv1alpha1.ConditionDegraded)()
		Expect(degraded.Status).To(Equal(metav1.ConditionTrue))
		Expect(degraded.Reason).To(Equal(platformv1alpha1.ReasonMigrationFailed))
		Expect(degraded.Message).To(ContainSubstring("BackoffLimitExceeded"))
		Expect(conditionOf(p, platformv1alpha1.ConditionReady)()).To(HaveField("Status", metav1.ConditionFalse))
		Consistently(func() map[string]string { return deploymentImages(p) }, "1s", poll).
			Should(Equal(imagesAll("ghcr.io/events-platform/events-platform:1.0.0")))
		Expect(getPlatform(p).Status.SchemaVersion).To(Equal("1.0.0"))
	})
})

// expectOwnedAndLabelled checks the owner reference and labels every child carries.
func expectOwnedAndLabelled(p *platformv1alpha1.EventsPlatform, obj client.Object, component string) {
	GinkgoHelper()
	got := getPlatform(p)
	Expect(metav1.IsControlledBy(obj, got)).To(BeTrue(), "%s is controlled by the platform", obj.GetName())
	Expect(obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/name", "events-platform"))
	Expect(obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/instance", p.Name))
	Expect(obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/component", component))
	Expect(obj.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "events-platform-operator"))
}

func envMap(env []corev1.EnvVar) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		m[e.Name] = e.Value
	}
	return m
}
