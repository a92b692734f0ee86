package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// baselineScript is ordinary developer and admin work; none of it may raise a finding of
// severity 2 or more. Steps whose tool is missing are skipped by the script itself.
const baselineScript = `
set -e
cd "$WORK"
have() { command -v "$1" >/dev/null 2>&1; }

# build a Go program
if have go; then
	mkdir gobuild && cd gobuild
	printf 'module example.com/hello\n\ngo 1.21\n' > go.mod
	printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' > main.go
	go build -o hello . && ./hello >/dev/null
	echo go-build >> "$WORK/steps"
	cd ..
fi

# git operations
if have git; then
	git init -q repo && cd repo
	git config user.email e2e@example.com && git config user.name e2e
	echo one > a.txt && git add a.txt && git commit -qm one
	git checkout -qb topic && echo two >> a.txt && git commit -qam two
	git checkout -q - && git merge -q topic && git log --oneline >/dev/null && git status --short
	echo git >> "$WORK/steps"
	cd ..
fi

# package queries
if have dpkg; then dpkg -l >/dev/null; dpkg -S /bin/ls >/dev/null; fi
# apt-cache reads dpkg's status without a lock: another test package installing a .deb at the same
# time ("Cache is out of sync") makes it fail for a moment, so it is asked again
if have apt-cache; then
	for try in 1 2 3 4 5; do
		apt-cache policy bash >/dev/null 2>&1 && apt-cache show coreutils >/dev/null 2>&1 && break
		[ "$try" = 5 ] && { apt-cache policy bash >/dev/null; apt-cache show coreutils >/dev/null; }
		sleep 1
	done
fi
if have dpkg || have apt-cache; then echo dpkg-apt-cache >> "$WORK/steps"; fi

# copy, move and delete files under /tmp
mkdir -p files/src files/dst
cp -r /etc/default files/src/ 2>/dev/null || true
for i in 1 2 3 4 5; do echo "line $i" > files/src/f$i.txt; done
cp files/src/*.txt files/dst/ && mv files/dst/f1.txt files/dst/renamed.txt
tar -C files -czf files.tgz src && mkdir unpacked && tar -C unpacked -xzf files.tgz
chmod 755 files/dst/renamed.txt && rm -rf files unpacked files.tgz
echo copy-move-files >> "$WORK/steps"

# ssh keys in a temp dir
if have ssh-keygen; then
	ssh-keygen -q -t ed25519 -N '' -C e2e -f "$WORK/id_ed25519" && ssh-keygen -y -f "$WORK/id_ed25519" >/dev/null
	echo ssh-keygen >> "$WORK/steps"
fi

# short scripts
if have python3; then python3 -c 'import hashlib, json, tempfile; json.dumps({"h": hashlib.sha256(b"x").hexdigest()}); tempfile.mkstemp()' && echo python >> "$WORK/steps"; fi
if have perl; then perl -e 'my %h = map { $_ => length } qw(a bb ccc); print scalar(keys %h), "\n"' >/dev/null && echo perl >> "$WORK/steps"; fi

# JIT engines: HotSpot's code cache, PCRE2's JIT, V8
if have java; then java -version 2>/dev/null && echo java >> "$WORK/steps"; fi
if have git && [ -d repo ]; then (cd repo && git grep -P 'o(n|w)e' >/dev/null || true) && echo git-grep-P >> "$WORK/steps"; fi
if have node; then node -e 'let s = 0; for (let i = 0; i < 1e6; i++) s += i; JSON.stringify({s})' && echo node >> "$WORK/steps"; fi

# C compiler
if have gcc; then
	printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' > hi.c && gcc -O2 -o hi hi.c && ./hi >/dev/null
	echo gcc >> "$WORK/steps"
fi

# install and remove a small local package with dpkg
if have dpkg-deb && have dpkg; then
	mkdir -p deb/DEBIAN deb/usr/share/e2e-baseline
	printf 'Package: e2e-baseline\nVersion: 1.0\nArchitecture: all\nMaintainer: e2e <e2e@example.com>\nDescription: baseline test package\n' > deb/DEBIAN/control
	printf '#!/bin/sh\nexit 0\n' > deb/DEBIAN/postinst && chmod 755 deb/DEBIAN/postinst
	echo data > deb/usr/share/e2e-baseline/data.txt
	dpkg-deb -b deb e2e-baseline.deb >/dev/null && dpkg -i e2e-baseline.deb >/dev/null && dpkg -r e2e-baseline >/dev/null
	echo dpkg-install-remove >> "$WORK/steps"
fi

# what cron and logrotate do: run a job script, rotate a log by copy and truncate in place
mkdir -p logs && echo line > logs/app.log && cp logs/app.log logs/app.log.1 && : > logs/app.log && gzip -f logs/app.log.1
echo rotate-own-log >> "$WORK/steps"
`

// TestBaseline_ordinary_work_raises_no_finding_of_severity_2_or_more runs everyday work with every
// built-in signature on and lists the lower-severity findings it raises (the known noise).
func TestBaseline_ordinary_work_raises_no_finding_of_severity_2_or_more(t *testing.T) {
	a := startAgent(t)
	cmd := exec.Command("/bin/sh", "-c", baselineScript)
	work := t.TempDir()
	cmd.Env = append(os.Environ(), "WORK="+work)
	if goroot := runtime.GOROOT(); goroot != "" { // empty in -trimpath builds: then go comes from PATH
		cmd.Env = append(cmd.Env, "PATH="+filepath.Join(goroot, "bin")+":"+os.Getenv("PATH"))
	}
	start := time.Now()
	root := run(t, cmd)
	a.settle()
	steps, _ := os.ReadFile(filepath.Join(work, "steps"))
	t.Logf("baseline workload ran in %s; steps done: %s", time.Since(start).Round(time.Millisecond),
		strings.Join(strings.Fields(string(steps)), ", "))
	a.mu.Lock()
	execs := 0
	for pid := range a.execs {
		if a.descends(pid, root) {
			execs++
		}
	}
	a.mu.Unlock()
	if execs < 10 {
		t.Fatalf("the agent saw only %d programs of the workload start: it did not watch the work", execs)
	}

	noise := map[string]int{}
	for _, f := range a.findingsOf(root) {
		if severity(&f) >= 2 {
			t.Errorf("benign work raised %s", describe(&f))
			continue
		}
		noise[f.EventName+" ("+f.ProcessName+")"]++
	}
	var names []string
	for n, c := range noise {
		names = append(names, n+" x"+itoa(c))
	}
	sort.Strings(names)
	t.Logf("findings below severity 2 (known noise): %s", strings.Join(append(names, "none")[:max(len(names), 1)], ", "))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
