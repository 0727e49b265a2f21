// Package deploy holds rolemine's Kubernetes manifests (kubernetes/*.yaml) and the test
// that decodes each of them strictly into the Kubernetes API types. It is a module of its
// own so that the Kubernetes API packages never become dependencies of rolemine.
package deploy
