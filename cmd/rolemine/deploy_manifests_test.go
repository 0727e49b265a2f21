package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// deployDir holds the Kubernetes manifests of docs/kubernetes.md.
const deployDir = "../../deploy/kubernetes"

// manifestLines returns the lines of a manifest of deployDir.
func manifestLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

// indent returns the number of leading spaces of line.
func indent(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// blockAfter returns the lines below lines[i] indented deeper than it, until the first
// line that is not (blank lines included), with the block's indentation removed.
func blockAfter(lines []string, i int) []string {
	var block []string
	base := -1
	for _, l := range lines[i+1:] {
		if strings.TrimSpace(l) != "" && indent(l) <= indent(lines[i]) {
			break
		}
		if base < 0 {
			base = indent(l)
		}
		block = append(block, strings.TrimPrefix(l, strings.Repeat(" ", base)))
	}
	return block
}

// containerArgs returns the block-style args of container name in file, and the literal
// values of its env entries.
func containerArgs(t *testing.T, file, name string) (args []string, env map[string]string) {
	t.Helper()
	lines := manifestLines(t, file)
	env = map[string]string{}
	for i, l := range lines {
		if strings.TrimSpace(l) != "- name: "+name {
			continue
		}
		body := blockAfter(lines, i)
		for j, b := range body {
			switch {
			case b == "args:":
				for _, a := range blockAfter(body, j) {
					args = append(args, strings.Trim(strings.TrimPrefix(a, "- "), `"`))
				}
			case strings.HasPrefix(b, "  - name: ") && j+1 < len(body) && strings.HasPrefix(body[j+1], "    value: "):
				env[strings.TrimPrefix(b, "  - name: ")] = strings.Trim(strings.TrimPrefix(body[j+1], "    value: "), `"`)
			}
		}
		return args, env
	}
	t.Fatalf("%s: no container %s", file, name)
	return nil, nil
}

// configMapFile returns the text of the ConfigMap's key (a block scalar).
func configMapFile(t *testing.T, key string) string {
	t.Helper()
	lines := manifestLines(t, "config.yaml")
	for i, l := range lines {
		if strings.TrimSpace(l) == key+": |" {
			return strings.Join(blockAfter(lines, i), "\n")
		}
	}
	t.Fatalf("config.yaml: no block %s", key)
	return ""
}

// varRef is a $(NAME) reference Kubernetes expands in a container's arguments.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces each $(NAME) of args from vars, as Kubernetes does, and mount (the
// ConfigMap's mount path) by dir; a name vars lacks fails the test.
func expand(t *testing.T, args []string, vars map[string]string, mount, dir string) []string {
	t.Helper()
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(varRef.ReplaceAllStringFunc(a, func(m string) string {
			v, ok := vars[m[2:len(m)-1]]
			if !ok {
				t.Fatalf("argument %q: no value for %s", a, m)
			}
			return v
		}), mount+"/", dir+string(filepath.Separator))
	}
	return out
}

// TestDeployManifestsRun runs the arguments of deploy/kubernetes's shard and merge
// templates, with the ConfigMap's mining.xml, through the built binary, which no test
// did (found by the semantic audit's operator pass; the deploy module only decodes the
// manifests): each of the N shard pods (JOB_COMPLETION_INDEX I, ROLEMINE_SHARDS N) mines
// tier S from a file:// bucket into SHARDS/I, the merge publishes MODEL, and the model is
// the one a single run with that configuration writes. A flag a template adds that the
// binary does not know, or a configuration it refuses, fails here.
func TestDeployManifestsRun(t *testing.T) {
	data := generated(t, "S")
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "etc")
	bucket := filepath.Join(dir, "bucket")
	for _, d := range []string{cfgDir, filepath.Join(bucket, "data"), filepath.Join(bucket, "shards"), filepath.Join(bucket, "model")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(cfgDir, "mining.xml")
	if err := os.WriteFile(cfg, []byte(configMapFile(t, "mining.xml")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"identities.parquet", "assignments.parquet", "roles.parquet"} {
		b, err := os.ReadFile(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bucket, "data", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := "file://" + filepath.ToSlash(bucket)
	vars := map[string]string{"DATA": url + "/data", "SHARDS": url + "/shards", "MODEL": url + "/model"}
	const mount = "/etc/rolemine" // shards.yaml and merge.yaml mount the ConfigMap there
	mine, env := containerArgs(t, "shards.yaml", "mine")
	n := 0
	if _, err := fmt.Sscan(env["ROLEMINE_SHARDS"], &n); err != nil || n < 1 {
		t.Fatalf("shards.yaml: ROLEMINE_SHARDS %q", env["ROLEMINE_SHARDS"])
	}
	vars["ROLEMINE_SHARDS"] = env["ROLEMINE_SHARDS"]
	t.Setenv("ROLEMINE_SHARDS", env["ROLEMINE_SHARDS"])
	for i := range n {
		if err := os.MkdirAll(filepath.Join(bucket, "shards", fmt.Sprint(i)), 0o755); err != nil {
			t.Fatal(err)
		}
		vars["JOB_COMPLETION_INDEX"] = fmt.Sprint(i)
		t.Setenv("JOB_COMPLETION_INDEX", fmt.Sprint(i))
		mustBin(t, expand(t, mine, vars, mount, cfgDir)...)
	}
	merge, _ := containerArgs(t, "merge.yaml", "merge")
	mustBin(t, expand(t, merge, vars, mount, cfgDir)...)
	t.Setenv("ROLEMINE_SHARDS", "") // the single run is no shard
	t.Setenv("JOB_COMPLETION_INDEX", "")
	single := filepath.Join(dir, "single")
	mustBin(t, "mine", "--data", data, "--config", cfg, "--out", single)
	sameOutputs(t, single, publishedSet(t, filepath.Join(bucket, "model")), true)
}

// publishedSet returns the directory of the set that prefix's manifest names.
func publishedSet(t *testing.T, prefix string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(prefix, ".current"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Set string `json:"set"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Set == "" {
		t.Fatalf("%s/.current: %v", prefix, err)
	}
	return filepath.Join(prefix, ".sets", m.Set)
}
