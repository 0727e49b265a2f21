package deploy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// object is one decoded manifest document.
type object struct {
	file string
	kind string
	name string
	obj  any
}

// newObject returns the API type of apiVersion/kind; nil for a kind the manifests should
// not hold.
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}
	case "rbac.authorization.k8s.io/v1/Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/v1/RoleBinding":
		return &rbacv1.RoleBinding{}
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}
	case "batch/v1/Job":
		return &batchv1.Job{}
	}
	return nil
}

// splitDocuments splits a multi-document YAML file at its "---" lines.
var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// load decodes every document of every manifest strictly: an unknown or duplicated field
// fails, as `kubectl apply --validate=strict` would.
func load(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in kubernetes/ (%v)", err)
	}
	var out []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, doc := range docSep.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s document %d: %v", f, k+1, err)
			}
			obj := newObject(head.APIVersion, head.Kind)
			if obj == nil {
				t.Fatalf("%s document %d: unexpected %s %s", f, k+1, head.APIVersion, head.Kind)
			}
			if err := strictDecode([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s %s: %v", f, head.Kind, head.Metadata.Name, err)
			}
			out = append(out, object{file: f, kind: head.Kind, name: head.Metadata.Name, obj: obj})
		}
	}
	return out
}

// strictDecode decodes YAML into obj refusing unknown and duplicate fields.
func strictDecode(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func find[T any](t *testing.T, objs []object, name string) T {
	t.Helper()
	for _, o := range objs {
		if v, ok := o.obj.(T); ok && o.name == name {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T named %s", zero, name)
	return zero
}

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := load(t)
	if len(objs) < 7 {
		t.Fatalf("%d documents, want the config, two service accounts, role, binding and three CronJobs", len(objs))
	}
	// The strict decoder refuses a field the API does not have.
	bad := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  nmespace: y\n"
	if err := strictDecode([]byte(bad), &corev1.ConfigMap{}); err == nil {
		t.Fatal("a misspelt field decoded")
	}
}

// TestPodsRestricted checks every pod: non-root, no privilege escalation, every
// capability dropped, a read-only root file system, and requests and limits.
func TestPodsRestricted(t *testing.T) {
	for _, o := range load(t) {
		cj, ok := o.obj.(*batchv1.CronJob)
		if !ok {
			continue
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		sc := pod.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: the pod must run as a non-root user id", o.name)
		}
		if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: the pod needs the RuntimeDefault seccomp profile", o.name)
		}
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			csc := c.SecurityContext
			if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: root file system not read-only", o.name, c.Name)
			}
			if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
				csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
				t.Errorf("%s/%s: privilege escalation allowed or capabilities kept", o.name, c.Name)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[r]; !ok {
					t.Errorf("%s/%s: no %s request", o.name, c.Name, r)
				}
				if _, ok := c.Resources.Limits[r]; !ok {
					t.Errorf("%s/%s: no %s limit", o.name, c.Name, r)
				}
			}
		}
	}
}

// TestNightlyLayout checks that the shard count agrees everywhere, the merge reads every
// shard prefix once, and the nightly CronJob creates both Jobs from templates it may read.
func TestNightlyLayout(t *testing.T) {
	objs := load(t)
	shards := find[*batchv1.CronJob](t, objs, "rolemine-shards")
	merge := find[*batchv1.CronJob](t, objs, "rolemine-merge")
	nightly := find[*batchv1.CronJob](t, objs, "rolemine-nightly")
	for _, cj := range []*batchv1.CronJob{shards, merge} {
		if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
			t.Errorf("%s is a template and must stay suspended", cj.Name)
		}
	}
	js := shards.Spec.JobTemplate.Spec
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion || js.Completions == nil {
		t.Fatal("the shard Job must be an Indexed Job with completions")
	}
	n := int(*js.Completions)
	if js.Parallelism == nil || int(*js.Parallelism) > n {
		t.Errorf("parallelism above the %d shards", n)
	}
	mine := js.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range mine.Env {
		env[e.Name] = e.Value
	}
	if env["ROLEMINE_SHARDS"] != strconv.Itoa(n) {
		t.Errorf("ROLEMINE_SHARDS %q, completions %d", env["ROLEMINE_SHARDS"], n)
	}
	args := strings.Join(mine.Args, " ")
	if mine.Args[0] != "mine" || !strings.Contains(args, "--shard=") || !strings.Contains(args, "--out=$(SHARDS)/$(JOB_COMPLETION_INDEX)") {
		t.Errorf("shard args %q: want mine --shard ... --out=$(SHARDS)/$(JOB_COMPLETION_INDEX)", args)
	}
	margs := merge.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
	var dirs []string
	for _, a := range margs[1:] {
		if !strings.HasPrefix(a, "-") {
			// (a store option only a query string gives follows the prefix: docs/kubernetes.md)
			dir, _, _ := strings.Cut(a, "?")
			dirs = append(dirs, dir)
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("$(SHARDS)/%d", i))
	}
	if margs[0] != "merge" || !slices.Equal(dirs, want) {
		t.Errorf("merge args %q: want merge of %q", margs, want)
	}
	if nightly.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Error("the nightly CronJob must forbid overlapping runs (one writer per prefix)")
	}
	pod := nightly.Spec.JobTemplate.Spec.Template.Spec
	var steps []string
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		steps = append(steps, strings.Join(c.Args, " "))
	}
	all := strings.Join(steps, "\n")
	// How it waits for each Job: TestNightlyFailsPromptly.
	for _, w := range []string{"--from=cronjob/rolemine-shards", "--from=cronjob/rolemine-merge"} {
		if !strings.Contains(all, w) {
			t.Errorf("the nightly pod does not %q:\n%s", w, all)
		}
	}
	if strings.Index(all, "rolemine-shards") > strings.Index(all, "rolemine-merge") {
		t.Error("the nightly pod creates the merge before the shards")
	}
	role := find[*rbacv1.Role](t, objs, pod.ServiceAccountName)
	if !slices.Contains(role.Rules[0].ResourceNames, "rolemine-shards") || !slices.Contains(role.Rules[0].ResourceNames, "rolemine-merge") {
		t.Errorf("role %s cannot read the templates", role.Name)
	}
	cm := find[*corev1.ConfigMap](t, objs, "rolemine")
	if err := xml.Unmarshal([]byte(cm.Data["mining.xml"]), new(struct{})); err != nil {
		t.Errorf("mining.xml in the ConfigMap: %v", err)
	}
	// The templates append /I to SHARDS: after a query string, it would land in the last
	// option's value (docs/kubernetes.md, Store options).
	for _, k := range []string{"DATA", "SHARDS", "MODEL"} {
		if !strings.Contains(cm.Data[k], "://") || strings.ContainsAny(cm.Data[k], "?#") {
			t.Errorf("ConfigMap %s = %q: want an object-storage URL without a query string", k, cm.Data[k])
		}
	}
}

// TestDockerfile checks the image's build: no cgo, reproducible flags, a non-root numeric
// user (which runAsNonRoot can verify).
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, w := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-buildid=", "USER 65532:65532"} {
		if !strings.Contains(s, w) {
			t.Errorf("Dockerfile lacks %q", w)
		}
	}
	if i := strings.LastIndex(s, "\nFROM "); i < 0 || !strings.Contains(s[i:], "USER 65532") {
		t.Error("the final stage does not set a non-root user")
	}
}

// varRef matches a $(NAME) reference in a container's arguments, which Kubernetes expands
// only from the variables the container declares and otherwise passes on as written.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// TestShardAndMergeWiring checks what ties the two rolemine Jobs together, which the
// semantic audit found nothing held: both run one image (merge refuses shards of another
// rolemine version); every $(NAME) in their arguments is declared in the container's env
// (JOB_COMPLETION_INDEX, set by the Job controller, only in the Indexed Job): a --previous
// of $(MODEL) added to the shards without MODEL reached rolemine as the text "$(MODEL)";
// the merge mounts the shards' --config at the same path, since it reads the path the
// shards recorded; each index is retried on its own; and exit code 2 (bad input) is not
// retried.
func TestShardAndMergeWiring(t *testing.T) {
	objs := load(t)
	shards := find[*batchv1.CronJob](t, objs, "rolemine-shards").Spec.JobTemplate.Spec
	merge := find[*batchv1.CronJob](t, objs, "rolemine-merge").Spec.JobTemplate.Spec
	mine, mrg := shards.Template.Spec.Containers[0], merge.Template.Spec.Containers[0]
	if mine.Image != mrg.Image || mine.Image == "" {
		t.Errorf("shards run %q, the merge %q: one image, so one rolemine version", mine.Image, mrg.Image)
	}
	for _, c := range []struct {
		c     corev1.Container
		extra []string
	}{{mine, []string{"JOB_COMPLETION_INDEX"}}, {mrg, nil}} {
		declared := slices.Clone(c.extra)
		for _, e := range c.c.Env {
			declared = append(declared, e.Name)
		}
		for _, a := range c.c.Args {
			for _, m := range varRef.FindAllStringSubmatch(a, -1) {
				if !slices.Contains(declared, m[1]) {
					t.Errorf("%s: argument %q uses $(%s), which the container does not declare", c.c.Name, a, m[1])
				}
			}
		}
	}
	for _, a := range mine.Args {
		cfg, ok := strings.CutPrefix(a, "--config=")
		if !ok {
			continue
		}
		for _, p := range []corev1.PodSpec{shards.Template.Spec, merge.Template.Spec} {
			if !mounts(p, p.Containers[0], cfg) {
				t.Errorf("%s does not mount the shards' --config %s", p.Containers[0].Name, cfg)
			}
		}
	}
	if shards.BackoffLimitPerIndex == nil || shards.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("the shard Job must retry each index on its own (backoffLimitPerIndex, restartPolicy Never)")
	}
	if !failsOnExit2(shards.PodFailurePolicy, mine.Name, batchv1.PodFailurePolicyActionFailIndex) {
		t.Error("the shard Job must fail an index at once on exit code 2 (bad input: a retry refuses it again)")
	}
	if !failsOnExit2(merge.PodFailurePolicy, mrg.Name, batchv1.PodFailurePolicyActionFailJob) {
		t.Error("the merge Job must fail at once on exit code 2")
	}
}

// failsOnExit2 reports whether policy takes action on container's exit code 2.
func failsOnExit2(policy *batchv1.PodFailurePolicy, container string, action batchv1.PodFailurePolicyAction) bool {
	if policy == nil {
		return false
	}
	for _, r := range policy.Rules {
		e := r.OnExitCodes
		if r.Action == action && e != nil && e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn &&
			(e.ContainerName == nil || *e.ContainerName == container) && slices.Contains(e.Values, 2) {
			return true
		}
	}
	return false
}

// mounts reports whether container c of pod p sees the ConfigMap file at path.
func mounts(p corev1.PodSpec, c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range p.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && slices.ContainsFunc(v.ConfigMap.Items, func(k corev1.KeyToPath) bool { return k.Path == rel }) {
				return true
			}
		}
	}
	return false
}

// jobState is a Job's status conditions from a moment of its run on.
type jobState struct {
	at    time.Duration
	conds []batchv1.JobConditionType
}

// jobRun is one way a Job the nightly pod created can end, as the Kubernetes 1.33 Job
// documentation describes it ("Terminal Job conditions", "Termination of Job pods"): a
// Job that is not suspended has no condition until its outcome is decided; since 1.31
// (the JobManagedBy and JobPodReplacementPolicy feature gates, on by default) it then gets
// FailureTarget or SuccessCriteriaMet, and Failed or Complete only once every pod has
// terminated, which may be the same status update; with both gates off, Failed or
// Complete at once.
type jobRun struct {
	name     string
	complete bool
	states   []jobState
}

// jobRuns returns the ways a Job can end whose outcome is decided at decided and whose
// pods take drain to terminate after that.
func jobRuns(decided, drain time.Duration) []jobRun {
	const (
		ft, failed = batchv1.JobFailureTarget, batchv1.JobFailed
		scm, compl = batchv1.JobSuccessCriteriaMet, batchv1.JobComplete
	)
	type c = []batchv1.JobConditionType
	start := jobState{0, nil}
	return []jobRun{
		{"completes (SuccessCriteriaMet, then Complete)", true, []jobState{start, {decided, c{scm}}, {decided + drain, c{scm, compl}}}},
		{"completes (both conditions in one update)", true, []jobState{start, {decided, c{scm, compl}}}},
		{"completes (feature gates off: Complete alone)", true, []jobState{start, {decided, c{compl}}}},
		{"fails (FailureTarget, then Failed)", false, []jobState{start, {decided, c{ft}}, {decided + drain, c{ft, failed}}}},
		{"fails (both conditions in one update)", false, []jobState{start, {decided, c{ft, failed}}}},
		{"fails (feature gates off: Failed alone)", false, []jobState{start, {decided, c{failed}}}},
	}
}

// kubectlWait is one `kubectl wait` step of the nightly pod.
type kubectlWait struct {
	container string
	forCond   string // the value of --for
	timeout   time.Duration
	job       string // NAME of job/NAME
}

// conditionsIndex matches the one jsonpath form the model evaluates: a field of the Job's
// condition at a fixed position.
var conditionsIndex = regexp.MustCompile(`^\{\.status\.conditions\[(\d+)\]\.(type|status)\}$`)

// eval reports whether w's --for holds for a Job with conditions conds (each True), as
// kubectl v1.33 decides it: condition=NAME[=VALUE] looks at the first condition of type
// NAME (VALUE defaults to true, both compared case-insensitively); jsonpath=EXPR[=VALUE]
// holds when EXPR yields one value (equal to VALUE when given), is not met while the Job
// has no conditions, and is an error, which ends the wait, when an index is out of range.
func (w kubectlWait) eval(t *testing.T, conds []batchv1.JobConditionType) (bool, error) {
	t.Helper()
	if name, ok := strings.CutPrefix(w.forCond, "condition="); ok {
		name, value, found := strings.Cut(name, "=")
		if !found {
			value = "true"
		}
		for _, c := range conds {
			if strings.EqualFold(string(c), name) {
				return strings.EqualFold(value, "True"), nil
			}
		}
		return false, nil
	}
	if expr, ok := strings.CutPrefix(w.forCond, "jsonpath="); ok {
		expr, value, _ := strings.Cut(expr, "=")
		m := conditionsIndex.FindStringSubmatch(strings.Trim(expr, `'"`))
		if m == nil {
			t.Fatalf("%s: the test does not model --for=%s; extend kubectlWait.eval", w.container, w.forCond)
		}
		if len(conds) == 0 {
			return false, nil
		}
		i, _ := strconv.Atoi(m[1])
		if i >= len(conds) {
			return false, fmt.Errorf("array index out of bounds: index %d, length %d", i, len(conds))
		}
		got := string(conds[i])
		if m[2] == "status" {
			got = "True"
		}
		return value == "" || got == strings.Trim(value, `'"`), nil
	}
	t.Fatalf("%s: the test does not model --for=%s; extend kubectlWait.eval", w.container, w.forCond)
	return false, nil
}

// run plays w from start against the Job's states: it ends when its condition holds in
// the state current at start or in a later one within its timeout (a zero timeout checks
// once), fails at once on an error, and fails when the timeout runs out.
func (w kubectlWait) run(t *testing.T, states []jobState, start time.Duration) (end time.Duration, ok bool, why string) {
	t.Helper()
	for i, s := range states {
		if i+1 < len(states) && states[i+1].at <= start {
			continue
		}
		at := max(s.at, start)
		if at > start+w.timeout {
			break
		}
		met, err := w.eval(t, s.conds)
		if err != nil {
			return at, false, err.Error()
		}
		if met {
			return at, true, ""
		}
	}
	return start + w.timeout, false, "timed out"
}

// nightlyWaits returns the nightly pod's steps: for each Job it creates (by the name
// kubectl gives it), the template it is created from and the waits on it, in order.
func nightlyWaits(t *testing.T, pod corev1.PodSpec) (templates map[string]string, waits map[string][]kubectlWait) {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("the nightly pod has %d main containers; the model plays its steps one after another, and main containers run at once", len(pod.Containers))
	}
	templates, waits = map[string]string{}, map[string][]kubectlWait{}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		args := slices.DeleteFunc(slices.Clone(c.Args), func(a string) bool { return strings.HasPrefix(a, "--namespace=") })
		switch {
		case len(args) >= 4 && args[0] == "create" && args[1] == "job":
			for _, a := range args[3:] {
				if from, ok := strings.CutPrefix(a, "--from=cronjob/"); ok {
					templates[args[2]] = from
				}
			}
		case len(args) > 0 && args[0] == "wait":
			w := kubectlWait{container: c.Name, timeout: 30 * time.Second} // kubectl's default
			for _, a := range args[1:] {
				switch {
				case strings.HasPrefix(a, "--for="):
					w.forCond = strings.TrimPrefix(a, "--for=")
				case strings.HasPrefix(a, "--timeout="):
					d, err := time.ParseDuration(strings.TrimPrefix(a, "--timeout="))
					if err != nil || d < 0 {
						t.Fatalf("%s: %s (%v)", c.Name, a, err)
					}
					w.timeout = d
				case strings.HasPrefix(a, "job/"):
					w.job = strings.TrimPrefix(a, "job/")
				default:
					t.Fatalf("%s: the test does not model kubectl wait's %q", c.Name, a)
				}
			}
			if _, ok := templates[w.job]; !ok || w.forCond == "" {
				t.Fatalf("%s waits for %q, which no earlier step creates, or without --for", c.Name, w.job)
			}
			waits[w.job] = append(waits[w.job], w)
		default:
			t.Fatalf("%s: unexpected step %q", c.Name, c.Args)
		}
	}
	return templates, waits
}

// TestNightlyFailsPromptly plays the nightly pod's waits against every way a Job it
// creates can end (jobRuns), which the semantic audit found no test held: a single
// `kubectl wait --for=condition=Complete` can only end on success, so a failed shard Job
// left the night running to the wait's 4-hour timeout. A Job that completes must pass
// every wait, and the next step must start only once Complete is there (every pod of the
// Job gone); a Job that fails must fail a wait within failLatency of its Failed
// condition. A wait must also not give up before the Job's own deadline, and the nightly
// Job's deadline must leave room for every wait.
func TestNightlyFailsPromptly(t *testing.T) {
	const failLatency = 90 * time.Second
	objs := load(t)
	nightly := find[*batchv1.CronJob](t, objs, "rolemine-nightly").Spec.JobTemplate.Spec
	templates, waits := nightlyWaits(t, nightly.Template.Spec)
	var total time.Duration
	for job, from := range templates {
		spec := find[*batchv1.CronJob](t, objs, from).Spec.JobTemplate.Spec
		if spec.Suspend != nil && *spec.Suspend {
			t.Errorf("%s's Jobs start suspended: their first condition would be Suspended", from)
		}
		ws := waits[job]
		if len(ws) == 0 {
			t.Errorf("the nightly pod creates %s and never waits for it", job)
			continue
		}
		if spec.ActiveDeadlineSeconds == nil || ws[0].timeout < time.Duration(*spec.ActiveDeadlineSeconds)*time.Second {
			t.Errorf("%s gives up on %s after %v, before the Job's own deadline", ws[0].container, job, ws[0].timeout)
		}
		for _, w := range ws {
			total += w.timeout
		}
		for _, decided := range []time.Duration{0, time.Hour} {
			for _, r := range jobRuns(decided, 30*time.Second) {
				playWaits(t, job, ws, r, failLatency)
			}
		}
	}
	if d := nightly.ActiveDeadlineSeconds; d == nil || time.Duration(*d)*time.Second < total {
		t.Errorf("the nightly Job's deadline is shorter than its waits' timeouts (%v)", total)
	}
}

// playWaits runs the waits on job one after another against r and checks the outcome.
func playWaits(t *testing.T, job string, ws []kubectlWait, r jobRun, failLatency time.Duration) {
	t.Helper()
	now := time.Duration(0)
	for _, w := range ws {
		end, ok, why := w.run(t, r.states, now)
		now = end
		if !ok {
			last := r.states[len(r.states)-1]
			switch {
			case r.complete:
				t.Errorf("%s %s: %s fails (%s at %v)", job, r.name, w.container, why, end)
			case end > last.at+failLatency:
				t.Errorf("%s %s: %s fails only at %v, %v after Failed", job, r.name, w.container, end, end-last.at)
			}
			return
		}
	}
	if !r.complete {
		t.Errorf("%s %s: every wait passes, so the night goes on", job, r.name)
	} else if last := r.states[len(r.states)-1]; now < last.at {
		t.Errorf("%s %s: the waits end at %v, before Complete at %v (pods still running)", job, r.name, now, last.at)
	}
}

// TestNamesResolve checks what an operator's first install needs to hold together, which
// the semantic audit found no test held: every object lives in the namespace the nightly
// pod's kubectl steps name; every pod's service account exists; the nightly service
// account is bound to a Role allowing each API call its steps make (get of the CronJob a
// Job is created from, create of Jobs, and get, list and watch of the Jobs kubectl wait
// follows); every ConfigMap key and the Secret the pods read are those the manifests and
// docs/kubernetes.md name.
func TestNamesResolve(t *testing.T) {
	objs := load(t)
	const ns = "rolemine"
	accounts := map[string]bool{}
	for _, o := range objs {
		meta := reflectMeta(o.obj)
		if meta.Namespace != ns {
			t.Errorf("%s %s is in namespace %q, not %q", o.kind, o.name, meta.Namespace, ns)
		}
		if sa, ok := o.obj.(*corev1.ServiceAccount); ok {
			accounts[sa.Name] = true
		}
	}
	cm := find[*corev1.ConfigMap](t, objs, ns)
	docs, err := os.ReadFile("../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range cm.Data {
		if !strings.Contains(string(docs), "`"+k+"`") {
			t.Errorf("ConfigMap key %s is not in docs/kubernetes.md", k)
		}
	}
	for _, o := range objs {
		cj, ok := o.obj.(*batchv1.CronJob)
		if !ok {
			continue
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		if !accounts[pod.ServiceAccountName] {
			t.Errorf("%s runs as service account %q, which the manifests do not declare", o.name, pod.ServiceAccountName)
		}
		checkConfigRefs(t, o.name, pod, cm, string(docs))
	}
	nightly := find[*batchv1.CronJob](t, objs, "rolemine-nightly").Spec.JobTemplate.Spec.Template.Spec
	role := boundRole(t, objs, nightly.ServiceAccountName, ns)
	for _, c := range slices.Concat(nightly.InitContainers, nightly.Containers) {
		if !slices.Contains(c.Args, "--namespace="+ns) {
			t.Errorf("%s: kubectl %q does not name namespace %s", c.Name, c.Args, ns)
		}
		for _, call := range apiCalls(c.Args) {
			if !allows(role, call) {
				t.Errorf("%s: role %s does not allow %v", c.Name, role.Name, call)
			}
		}
	}
}

// reflectMeta returns the object metadata of one of the API types newObject makes.
func reflectMeta(obj any) metav1.ObjectMeta {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		return o.ObjectMeta
	case *corev1.ServiceAccount:
		return o.ObjectMeta
	case *rbacv1.Role:
		return o.ObjectMeta
	case *rbacv1.RoleBinding:
		return o.ObjectMeta
	case *batchv1.CronJob:
		return o.ObjectMeta
	case *batchv1.Job:
		return o.ObjectMeta
	}
	return metav1.ObjectMeta{}
}

// checkConfigRefs checks that the pod's ConfigMap references name cm and keys it has, and
// that the Secret it reads is the optional one docs names.
func checkConfigRefs(t *testing.T, name string, pod corev1.PodSpec, cm *corev1.ConfigMap, docs string) {
	t.Helper()
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, e := range c.Env {
			if r := e.ValueFrom; r != nil && r.ConfigMapKeyRef != nil {
				if _, ok := cm.Data[r.ConfigMapKeyRef.Key]; !ok || r.ConfigMapKeyRef.Name != cm.Name {
					t.Errorf("%s/%s: %s reads key %s of ConfigMap %s, which is not there", name, c.Name, e.Name, r.ConfigMapKeyRef.Key, r.ConfigMapKeyRef.Name)
				}
			}
		}
		for _, e := range c.EnvFrom {
			if s := e.SecretRef; s != nil && (!strings.Contains(docs, "`"+s.Name+"`") || s.Optional == nil || !*s.Optional) {
				t.Errorf("%s/%s: Secret %s is not the optional Secret docs/kubernetes.md names", name, c.Name, s.Name)
			}
		}
	}
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		for _, it := range v.ConfigMap.Items {
			if _, ok := cm.Data[it.Key]; !ok || v.ConfigMap.Name != cm.Name {
				t.Errorf("%s: volume %s mounts key %s of ConfigMap %s, which is not there", name, v.Name, it.Key, v.ConfigMap.Name)
			}
		}
	}
}

// boundRole returns the Role a RoleBinding grants to service account sa of namespace ns.
func boundRole(t *testing.T, objs []object, sa, ns string) *rbacv1.Role {
	t.Helper()
	for _, o := range objs {
		b, ok := o.obj.(*rbacv1.RoleBinding)
		if !ok || b.RoleRef.Kind != "Role" || b.RoleRef.APIGroup != rbacv1.GroupName {
			continue
		}
		for _, s := range b.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == sa && s.Namespace == ns {
				return find[*rbacv1.Role](t, objs, b.RoleRef.Name)
			}
		}
	}
	t.Fatalf("no RoleBinding grants a Role to service account %s/%s", ns, sa)
	return nil
}

// apiCall is one request a kubectl step makes: verb on resource (named, or "" for any).
type apiCall struct{ verb, resource, name string }

// apiCalls returns the requests of kubectl args: create job --from=cronjob/X gets X and
// creates a Job; wait gets the Job, then lists and watches it (a zero timeout only gets).
func apiCalls(args []string) []apiCall {
	var calls []apiCall
	switch {
	case slices.Contains(args, "create"):
		calls = append(calls, apiCall{"create", "jobs", ""})
		for _, a := range args {
			if from, ok := strings.CutPrefix(a, "--from=cronjob/"); ok {
				calls = append(calls, apiCall{"get", "cronjobs", from})
			}
		}
	case slices.Contains(args, "wait"):
		calls = append(calls, apiCall{"get", "jobs", ""}, apiCall{"list", "jobs", ""}, apiCall{"watch", "jobs", ""})
	}
	return calls
}

// allows reports whether a rule of role allows call in the batch API group.
func allows(role *rbacv1.Role, call apiCall) bool {
	for _, r := range role.Rules {
		if slices.Contains(r.APIGroups, batchv1.GroupName) && slices.Contains(r.Resources, call.resource) &&
			slices.Contains(r.Verbs, call.verb) && (len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, call.name)) {
			return true
		}
	}
	return false
}
