package main

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const committed = "../../domain/events_gen.go"

// tableRows splits a generated file into its Tracee rows, its KernelOnly rows (each gofmt'ed
// source text) and its header comment.
func tableRows(t *testing.T, src []byte) (tracee, kernel []string, header string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "events_gen.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse generated file: %v", err)
	}
	for _, cg := range f.Comments {
		if cg.End() < f.Package {
			header += cg.Text()
		}
	}
	var table *ast.CompositeLit
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			vs := gd.Specs[0].(*ast.ValueSpec)
			if vs.Names[0].Name == "traceeEvents" {
				table, _ = vs.Values[0].(*ast.CompositeLit)
			}
		}
	}
	if table == nil {
		t.Fatal("generated file has no traceeEvents literal")
	}
	for _, el := range table.Elts {
		var b bytes.Buffer
		if err := format.Node(&b, fset, el); err != nil {
			t.Fatalf("format row: %v", err)
		}
		kernelOnly := false
		for _, kv := range el.(*ast.CompositeLit).Elts {
			kv := kv.(*ast.KeyValueExpr)
			if kv.Key.(*ast.Ident).Name == "KernelOnly" && kv.Value.(*ast.Ident).Name == "true" {
				kernelOnly = true
			}
		}
		if kernelOnly {
			kernel = append(kernel, b.String())
		} else {
			tracee = append(tracee, b.String())
		}
	}
	return tracee, kernel, header
}

// TestCommittedTableIsGenerated regenerates the table from Tracee's source in the module cache and
// compares it with internal/domain/events_gen.go: always the Tracee rows; the KernelOnly rows and
// the header too when tracefs is readable on the kernel release the committed file was made on.
func TestCommittedTableIsGenerated(t *testing.T) {
	src, err := DownloadTracee()
	if err != nil {
		t.Skipf("Tracee %s source unavailable (go mod download cannot reach it): %v", TraceeVersion, err)
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	wantTracee, wantKernel, wantHeader := tableRows(t, want)

	opts := Options{Src: src}
	fullCompare := false
	const tracefs = "/sys/kernel/tracing"
	if _, err := os.Stat(filepath.Join(tracefs, "events", "syscalls")); err != nil {
		t.Logf("tracefs not readable (%v): comparing only Tracee's rows", err)
	} else if rel := KernelRelease(); !strings.Contains(wantHeader, "kernel "+rel+";") {
		t.Logf("events_gen.go was generated on another kernel than %s: comparing only Tracee's rows", rel)
	} else if xsys, err := DownloadXSys(); err != nil {
		t.Logf("golang.org/x/sys unavailable (%v): comparing only Tracee's rows", err)
	} else {
		fullCompare = true
		opts.Tracefs = tracefs
		opts.SysnumFiles = []string{unistdHeader, filepath.Join(xsys, "unix", "zsysnum_linux_amd64.go")}
	}
	res, err := Generate(opts)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := Render(res)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if fullCompare {
		if !bytes.Equal(got, want) {
			tmp := filepath.Join(t.TempDir(), "events_gen.go")
			_ = os.WriteFile(tmp, got, 0o644)
			t.Fatalf("events_gen.go is stale: run `make events` (regenerated copy: %s)", tmp)
		}
		return
	}
	gotTracee, _, _ := tableRows(t, got)
	if len(gotTracee) != len(wantTracee) {
		t.Fatalf("Tracee rows: generated %d, committed %d: run `make events`", len(gotTracee), len(wantTracee))
	}
	for i := range gotTracee {
		if gotTracee[i] != wantTracee[i] {
			t.Fatalf("Tracee row %d differs: run `make events`\ngenerated:\n%s\ncommitted:\n%s", i, gotTracee[i], wantTracee[i])
		}
	}
	t.Logf("Tracee rows match; %d committed KernelOnly rows not compared", len(wantKernel))
}

func TestConstEvaluation(t *testing.T) {
	src := `package events
type ID int32
const (
	Base ID = 700
	Top  ID = 0xfffffff - 1
)
const (
	A ID = iota + Base
	B
	C
)
const (
	X ID = 0
	Y ID = 1
	Z ID = iota + 88 // iota = 2
	W
	V = ID(5) << 2
)
`
	f, err := parser.ParseFile(token.NewFileSet(), "c.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := newConsts()
	c.addFile(f)
	for _, tc := range []struct {
		name string
		want int64
	}{
		{"Base", 700}, {"Top", 0xfffffff - 1}, {"A", 700}, {"B", 701}, {"C", 702},
		{"X", 0}, {"Y", 1}, {"Z", 90}, {"W", 91}, {"V", 20},
	} {
		got, err := c.value(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("%s = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	if _, err := c.value("Missing"); err == nil {
		t.Error("an undefined constant evaluated without error")
	}
}

func TestParseFormat(t *testing.T) {
	format := `name: sys_enter_execve
ID: 700
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:unsigned long flags;	offset:32;	size:8;	signed:0;

print fmt: "..."
`
	got, err := ParseFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	want := []KernelArg{{"const char *", "filename"}, {"const char *const *", "argv"}, {"unsigned long", "flags"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseFormat = %q, want %q", got, want)
	}
	if _, err := ParseFormat("format:\n\tfield:int common_pid;\n"); err == nil {
		t.Error("a format without __syscall_nr parsed without error")
	}
}

func TestGoTypeOfCType(t *testing.T) {
	for _, tc := range []struct{ ctype, goType, decode string }{
		{"int", "int32", "INT_T"},
		{"unsigned int", "uint32", "UINT_T"},
		{"long", "int64", "LONG_T"},
		{"unsigned long", "uint64", "ULONG_T"},
		{"size_t", "uint64", "ULONG_T"},
		{"umode_t", "uint16", "U16_T"},
		{"pid_t", "int32", "INT_T"},
		{"char *", "string", "STR_T"},
		{"const char *", "string", "STR_T"},
		{"const char *const *", "[]string", "STR_ARR_T"},
		{"struct sockaddr *", "SockAddr", "SOCK_ADDR_T"},
		{"struct file_attr *", "trace.Pointer", "POINTER_T"},
		{"void *", "trace.Pointer", "POINTER_T"},
		{"cap_user_header_t", "trace.Pointer", "POINTER_T"},
		{"const cap_user_data_t", "trace.Pointer", "POINTER_T"},
		{"const int", "int32", "INT_T"},
	} {
		goType, decode, err := GoTypeOfCType(tc.ctype)
		if err != nil || goType != tc.goType || decode != tc.decode {
			t.Errorf("GoTypeOfCType(%q) = %q, %q, %v; want %q, %q", tc.ctype, goType, decode, err, tc.goType, tc.decode)
		}
	}
	if _, _, err := GoTypeOfCType("struct weird"); err == nil {
		t.Error("an unknown C type mapped without error")
	}
}

func TestReadSyscallNumbers(t *testing.T) {
	dir := t.TempDir()
	header := filepath.Join(dir, "unistd_64.h")
	goFile := filepath.Join(dir, "zsysnum.go")
	if err := os.WriteFile(header, []byte("#define __NR_read 0\n#define __NR_x32 (__X32_SYSCALL_BIT + 1)\n#define __NR_mseal 462\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goFile, []byte("const (\n\tSYS_READ = 0\n\tSYS_FILE_GETATTR = 468\n)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nums, used, err := ReadSyscallNumbers([]string{header, filepath.Join(dir, "missing.h"), goFile})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"read": 0, "mseal": 462, "file_getattr": 468}
	if !reflect.DeepEqual(nums, want) || len(used) != 2 {
		t.Errorf("numbers = %v from %v; want %v from 2 files", nums, used, want)
	}
	if err := os.WriteFile(goFile, []byte("\tSYS_MSEAL = 463\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadSyscallNumbers([]string{header, goFile}); err == nil {
		t.Error("sources that disagree on a number read without error")
	}
}
