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
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// Labels the operator puts on everything it creates. Selectors use only the name, instance and
// component labels, which never change for an object's lifetime.
const (
	labelName      = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	labelComponent = "app.kubernetes.io/component"
	labelPartOf    = "app.kubernetes.io/part-of"
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelVersion   = "app.kubernetes.io/version"

	appName   = "events-platform"
	managedBy = "events-platform-operator"

	// configHashAnnotation on a pod template holds a digest of the Secrets its pods read, so that a
	// changed Secret rolls the pods.
	configHashAnnotation = "platform.events-platform.io/config-hash"
	// migrationVersionLabel on a migration Job holds the platform version it migrates to.
	migrationVersionLabel = "platform.events-platform.io/version"
)

// Component names of objects that are not workloads of a service.
const (
	componentMigrations = "migrations"
	componentRetraining = "retraining"
	componentJWT        = "jwt"
)

// httpPort is where every platform process serves its API, /health, /readyz and /metrics.
const httpPort = 8080

func childName(p *platformv1alpha1.EventsPlatform, component string) string {
	return p.Name + "-" + component
}

func jwtSecretName(p *platformv1alpha1.EventsPlatform) string { return childName(p, componentJWT) }

func postgresSecretName(p *platformv1alpha1.EventsPlatform) string {
	return childName(p, "postgres-credentials")
}

func headlessName(p *platformv1alpha1.EventsPlatform, component string) string {
	return childName(p, component) + "-headless"
}

// selectorLabels identify the pods of one component of one platform.
func selectorLabels(p *platformv1alpha1.EventsPlatform, component string) map[string]string {
	return map[string]string{
		labelName:      appName,
		labelInstance:  p.Name,
		labelComponent: component,
	}
}

// objectLabels are the labels of every object of a component.
func objectLabels(p *platformv1alpha1.EventsPlatform, component string) map[string]string {
	l := selectorLabels(p, component)
	l[labelPartOf] = appName
	l[labelManagedBy] = managedBy
	return l
}

// instanceLabels select every object of a platform.
func instanceLabels(p *platformv1alpha1.EventsPlatform) map[string]string {
	return map[string]string{labelName: appName, labelInstance: p.Name}
}

var notDNSLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// migrationJobName names the migration Job of a version. A version that does not map onto a
// DNS label as it is (other than '.' becoming '-') or is too long keeps a readable prefix and gains
// a digest, so that distinct versions do not collide.
func migrationJobName(p *platformv1alpha1.EventsPlatform, version string) string {
	v := strings.ReplaceAll(version, ".", "-")
	clean := strings.Trim(notDNSLabel.ReplaceAllString(strings.ToLower(v), "-"), "-")
	name := childName(p, "migrate-"+clean)
	if clean == v && len(name) <= 63 {
		return name
	}
	sum := sha256.Sum256([]byte(version))
	suffix := "-" + hex.EncodeToString(sum[:])[:8]
	if len(name) > 63-len(suffix) {
		name = strings.TrimRight(name[:63-len(suffix)], "-")
	}
	return name + suffix
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
