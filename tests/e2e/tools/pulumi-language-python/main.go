// pulumi-language-python is a small Python language host for the end-to-end tests.
//
// The real host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not served by the
// Go module proxy this project can reach, so the e2e tier builds this one instead, on top of the published
// github.com/pulumi/pulumi/sdk/v3 packages. It implements the LanguageRuntime RPCs that the CLI uses for this
// project -- `pulumi install`, preview/up/refresh/destroy, required packages, about, and Python policy packs --
// and leaves everything else (code generation, packing, debugging, type checkers) unimplemented.
//
// The CLI starts a language host as `pulumi-language-python [--logtostderr] [-v=N] [--tracing URL] ENGINE`,
// reads the port of our gRPC server from the first line of stdout, and forwards our stdout and stderr (and so
// the Python program's) to the user.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// hostVersion is what GetPluginInfo reports: the SDK release this host is built against (and the CLI's).
var hostVersion = "3.276.0"

// execScript is the Python entry point that runs a program; like the real host, we expect it next to our binary.
const execScript = "pulumi-language-python-exec"

// exitReported is the exit code with which the exec script says "the error is already shown to the user", so
// the host must not add a second, less useful one.
const exitReported = 32

func main() {
	// --logtostderr and -v are registered by the glog package that sdk's logging imports; InitLogging reads them.
	tracing := flag.String("tracing", "", "Zipkin-compatible endpoint to send tracing data to")
	showVersion := flag.Bool("version", false, "print the host's version and exit")
	executor := flag.String("use-executor", "", "run programs with this script instead of the one next to the host")
	// Accepted for compatibility only: the project root of each call comes from its request's ProgramInfo.
	_ = flag.String("root", "", "ignored; the root directory comes from each request")
	flag.Parse()
	if *showVersion {
		fmt.Println(hostVersion)
		return
	}
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)

	exe := *executor
	if exe == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("locating the language host: %w", err))
		}
		exe = filepath.Join(filepath.Dir(self), execScript)
	}
	if _, err := os.Stat(exe); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", exe, err))
	}

	// The engine's address is the last positional argument; it is absent only when a debugger attaches to us,
	// in which case Handshake supplies it.
	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	// Stop serving on Ctrl-C, or when the engine stops answering health checks (so we never outlive the CLI).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("starting the engine health check: %w", err))
		}
	}
	cancelServe := make(chan bool)
	go func() { <-ctx.Done(); close(cancelServe) }()

	h := newHost(exe, engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{ // listens on 127.0.0.1 only
		Cancel: cancelServe,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("starting the language host: %w", err))
	}
	fmt.Printf("%d\n", handle.Port) // the CLI reads our port from this first line
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec    string
	tracing string

	mu            sync.Mutex
	engineAddress string

	// cancelled by the Cancel RPC; a running program is interrupted when it fires.
	cancelCtx context.Context
	cancel    context.CancelFunc
}

func newHost(exec, engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{exec: exec, tracing: tracing, engineAddress: engineAddress, cancelCtx: ctx, cancel: cancel}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// pythonOptions turns Pulumi.yaml's (or PulumiPolicy.yaml's) `runtime.options` into toolchain options.
// Plugins that name no virtualenv get "venv" under pip, as with the real host: `pulumi install` in a plugin
// directory creates it there, and we must look for it in the same place.
func pythonOptions(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := info.GetOptions().AsMap()
	if v, ok := raw["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("the virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := raw["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if v, ok := raw["typechecker"]; ok && v != "" {
		return opts, fmt.Errorf("the typechecker option (%v) is not supported by this test language host", v)
	}
	if isPlugin && opts.Virtualenv == "" && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func resolve(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, toolchain.Toolchain, error) {
	opts, err := pythonOptions(info, isPlugin)
	if err != nil {
		return opts, nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	return opts, tc, err
}

// Handshake is only called when the CLI attaches to an already running host (PULUMI_DEBUG_LANGUAGES); it is
// how such a host learns the engine's address.
func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion}, nil
}

// Cancel interrupts a running program. The CLI calls it on Ctrl-C and before it shuts the host down, so,
// as with the real host, it is final.
func (h *host) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// InstallDependencies serves `pulumi install`: it creates the virtualenv and pip-installs requirements.txt
// (the toolchain package does both), streaming the output back to the CLI.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	ctx := server.Context()
	_, tc, err := resolve(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := req.GetInfo().GetProgramDirectory()
	fmt.Fprintf(stdout, "Installing dependencies...\n\n")
	if err := tc.InstallDependencies(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	// A plugin that is itself a Python package (pyproject.toml with a build system) needs installing too.
	if req.GetIsPlugin() {
		if buildable, err := toolchain.IsBuildablePackage(dir); err != nil {
			return err
		} else if buildable {
			if err := tc.InstallPackage(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// pluginJSONScript prints, for every installed distribution, its name, version and pulumi-plugin.json (if it
// ships one in a top-level package directory). One interpreter start covers all packages.
const pluginJSONScript = `import importlib.metadata as md, importlib.util, json, os
out = []
for dist in md.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    path = None
    for f in dist.files or []:
        if f.name == "pulumi-plugin.json" and len(f.parts) == 2:
            path = str(dist.locate_file(f))
            break
    if path is None:  # editable installs list no files; look where the module lives
        try:
            spec = importlib.util.find_spec(name.replace("-", "_").lower())
        except Exception:
            spec = None
        for loc in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isfile(os.path.join(loc, "pulumi-plugin.json")):
                path = os.path.join(loc, "pulumi-plugin.json")
    plugin = None
    if path and os.path.isfile(path):
        with open(path) as fh:
            plugin = json.load(fh)
    out.append({"name": name, "version": dist.version, "plugin": plugin})
print(json.dumps(out))
`

// noPluginPackages are named pulumi-* but have no resource plugin (older releases ship no pulumi-plugin.json).
var noPluginPackages = map[string]bool{"pulumi-policy": true, "pulumi-esc-sdk": true}

// requiredPackages lists the resource plugins the program's installed Python packages need.
func requiredPackages(ctx context.Context, tc toolchain.Toolchain) ([]*pulumirpc.PackageDependency, error) {
	cmd, err := tc.Command(ctx, "-c", pluginJSONScript)
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing installed Python packages: %w", withStderr(err))
	}
	var dists []struct {
		Name    string
		Version string
		Plugin  *plugin.PulumiPluginJSON
	}
	if err := json.Unmarshal(out, &dists); err != nil {
		return nil, fmt.Errorf("parsing the installed package list: %w", err)
	}
	var pkgs []*pulumirpc.PackageDependency
	seen := map[string]bool{} // a distribution on sys.path twice is listed twice
	for _, d := range dists {
		name := normalizeName(d.Name)
		if seen[name] {
			continue
		}
		seen[name] = true
		p := d.Plugin
		// Only packages with a pulumi-plugin.json, or the older pulumi-* convention, have a plugin.
		if noPluginPackages[name] || (p == nil && !strings.HasPrefix(name, "pulumi-")) || (p != nil && !p.Resource) {
			continue
		}
		dep := &pulumirpc.PackageDependency{Kind: string(apitype.ResourcePlugin), Name: strings.TrimPrefix(name, "pulumi-")}
		if p != nil {
			if p.Name != "" {
				dep.Name = p.Name
			}
			dep.Version, dep.Server = p.Version, p.Server
			dep.Parameterization = parameterization(p.Parameterization)
			dep.Extension = parameterization(p.ExtensionParameterization)
		}
		if dep.Version == "" {
			v, ok := pluginVersion(d.Version)
			if !ok { // e.g. a dev build whose plugin version can't be derived; the engine finds it on demand
				logging.V(5).Infof("skipping %s %s: no plugin version derivable", name, d.Version)
				continue
			}
			dep.Version = v
		}
		if !strings.HasPrefix(dep.Version, "v") {
			dep.Version = "v" + dep.Version
		}
		pkgs = append(pkgs, dep)
	}
	return pkgs, nil
}

func parameterization(p *plugin.PulumiParameterizationJSON) *pulumirpc.PackageParameterization {
	if p == nil {
		return nil
	}
	return &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
}

// normalizeName is PEP 503's normalization: lower case, runs of -_. become "-".
func normalizeName(name string) string {
	return strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(name, "-"))
}

var pep440 = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$`)

// pluginVersion maps a PEP 440 package version to the semver of its plugin: 1.2 -> 1.2.0, 1.2.3a4 ->
// 1.2.3-alpha.4, 1.2.3rc1 -> 1.2.3-rc.1, .postN -> +postN, .devN -> +devN.
func pluginVersion(v string) (string, bool) {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	segs := strings.Split(m[1], ".")
	for len(segs) < 3 {
		segs = append(segs, "0")
	}
	out := strings.Join(segs, ".")
	if m[2] != "" {
		out += "-" + map[string]string{"a": "alpha", "b": "beta", "rc": "rc"}[m[2]] + "." + m[3]
	}
	build := ""
	if m[4] != "" {
		build += "post" + m[4]
	}
	if m[5] != "" {
		build += "dev" + m[5]
	}
	if build != "" {
		out += "+" + build
	}
	return out, true
}

// GetRequiredPackages tells the engine which resource plugins to load. Like the real host it first makes sure
// the virtualenv exists (creating it if needed), logging that work to the engine.
func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	stdout, stderr, closeLog := h.engineLog(ctx)
	defer closeLog()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	pkgs, err := requiredPackages(ctx, tc)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// engineLog returns writers that show text as ephemeral engine log messages (used where no output stream is
// part of the RPC). Without an engine, the text goes to our stderr, which the CLI shows too.
func (h *host) engineLog(ctx context.Context) (io.Writer, io.Writer, func()) {
	addr := h.engine()
	if addr == "" {
		return os.Stderr, os.Stderr, func() {}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return os.Stderr, os.Stderr, func() {}
	}
	client, stream := pulumirpc.NewEngineClient(conn), rand.Int31() //nolint:gosec // only a stream id
	mk := func(sev pulumirpc.LogSeverity) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			_, err := client.Log(ctx, &pulumirpc.LogRequest{
				Severity: sev, Message: strings.ToValidUTF8(string(p), "?"), Ephemeral: true, StreamId: stream,
			})
			return len(p), err
		})
	}
	return mk(pulumirpc.LogSeverity_INFO), mk(pulumirpc.LogSeverity_ERROR), func() { conn.Close() }
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Run runs the program (preview, up, refresh, destroy): the exec script, under the virtualenv's python,
// connects back to the engine and resource monitor whose addresses we pass as flags.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "debugging is not supported by this test language host"}, nil
	}
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil { // explains how to create a missing virtualenv
		return nil, err
	}

	args := []string{h.exec}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	entry := req.GetInfo().GetEntryPoint() // "." for the program directory, or Pulumi.yaml's `main`
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// The SDK reads the stack's config from PULUMI_CONFIG (a JSON object of "project:key" -> string) and the
	// keys that are secret from PULUMI_CONFIG_SECRET_KEYS (a JSON array), see pulumi/runtime/config.py.
	configMap := req.GetConfig()
	if configMap == nil { // a stack without config: "{}", as "null" would break the SDK's json.loads
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	// Stop the program if the CLI cancels (Cancel RPC) or abandons the request.
	runCtx, stopRun := context.WithCancel(h.cancelCtx)
	defer stopRun()
	context.AfterFunc(ctx, stopRun)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr // the engine shows our output streams
	interruptThenKill(cmd)

	logging.V(5).Infof("running program: %v", cmd.Args)
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitReported:
		return &pulumirpc.RunResponse{Bail: true}, nil // the program already reported the error
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		err = fmt.Errorf("program exited with non-zero exit code: %d", exitErr.ExitCode())
	case errors.As(err, &exitErr): // killed by a signal
		err = fmt.Errorf("program exited unexpectedly: %w", exitErr)
	default:
		err = fmt.Errorf("problem executing program (could not run language executor): %w", err)
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

// interruptThenKill makes context cancellation send SIGINT first, so Python can unwind, and kill after 5s.
func interruptThenKill(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
}

// RunPlugin runs a plugin written in Python. The CLI uses it for policy packs (`--policy-pack DIR` with
// PulumiPolicy.yaml saying `runtime: python`, Kind "analyzer") and for Python resource providers with a
// PulumiPlugin.yaml. The CLI sends its whole environment in req.Env and expects the plugin's port as the
// first line on the stdout stream.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context() // cancelled when the CLI is done with the plugin
	if req.GetAttachDebugger() {
		return errors.New("debugging is not supported by this test language host")
	}
	dir := req.GetInfo().GetProgramDirectory()
	analyzer := req.GetKind() == string(apitype.AnalyzerPlugin)

	// A policy pack without a virtualenv option runs on the ambient python, unless `pulumi install` made
	// the default "venv" for it; other plugins always get the "venv" default.
	opts, err := pythonOptions(req.GetInfo(), true)
	if err != nil {
		return err
	}
	if analyzer && req.GetInfo().GetOptions().AsMap()["virtualenv"] == nil && opts.Virtualenv != "" &&
		!toolchain.IsVirtualEnv(filepath.Join(opts.Root, opts.Virtualenv)) {
		opts.Virtualenv = ""
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return err
	}

	var args []string
	switch _, statErr := os.Stat(filepath.Join(dir, "__main__.py")); {
	case analyzer:
		// pulumi_policy's entry point takes the engine's args and then the pack's directory.
		args = append(append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...), dir)
	case statErr == nil:
		args = append([]string{"-u", dir}, req.GetArgs()...)
	default:
		// A packaged plugin: the SDK's pulumi.run.plugin entry point runs it by its project name.
		py, err := toolchain.LoadPyproject(dir)
		if err != nil || py.Project == nil {
			return fmt.Errorf("plugin in %s has neither __main__.py nor a pyproject.toml project", dir)
		}
		args = append([]string{"-u", "-m", "pulumi.run.plugin", py.Project.Name}, req.GetArgs()...)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	if venv, err := tc.VirtualEnvPath(ctx); err == nil && venv != "" {
		env = toolchain.ActivateVirtualEnv(env, venv)
	}
	cmd.Env = env
	// Policy packs have always run from their own directory; other plugins from the CLI's.
	cmd.Dir = req.GetPwd()
	if analyzer {
		cmd.Dir = dir
	}
	interruptThenKill(cmd)

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	var proxy *sdk.PolicyProxy
	if analyzer {
		// pulumi_policy learns the stack from environment variables, set before it starts, but the engine
		// sends them afterwards (ConfigureStack). The SDK's PolicyProxy bridges that: it answers the engine
		// first (printing its own port on stdout), then hands over to the real pack once it is running.
		var childStdout io.Writer
		if proxy, childStdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("starting the policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the stack configuration: %w", err)
		}
		if stack != nil {
			// Only what is known: pulumi_policy substitutes its own default for a missing organization.
			for k, v := range map[string]string{"PULUMI_ORGANIZATION": stack.GetOrganization(),
				"PULUMI_PROJECT": stack.GetProject(), "PULUMI_STACK": stack.GetStack()} {
				if v != "" {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			cmd.Env = append(cmd.Env, "PULUMI_DRY_RUN="+strconv.FormatBool(stack.GetDryRun()))
			if cfg := stack.GetConfig(); cfg != nil {
				b, err := json.Marshal(cfg)
				if err != nil {
					return err
				}
				cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(b))
			}
			if keys := stack.GetConfigSecretKeys(); keys != nil {
				b, err := json.Marshal(keys)
				if err != nil {
					return err
				}
				cmd.Env = append(cmd.Env, "PULUMI_CONFIG_SECRET_KEYS="+string(b))
			}
		}
		stdout = childStdout
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr

	logging.V(5).Infof("running plugin: %v in %s", cmd.Args, cmd.Dir)
	if err := cmd.Start(); err != nil {
		if proxy != nil {
			proxy.Abort(err)
		}
		return fmt.Errorf("starting the plugin: %w", err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd) // waits for the process, too
	} else {
		err = cmd.Wait()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := int32(exitErr.ExitCode()) //nolint:gosec // exit codes fit in 8 bits
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
	} else if err != nil {
		return err
	}
	return closer.Close()
}

// About feeds `pulumi about`: the interpreter and toolchain in use.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	info := req.GetInfo()
	if info == nil {
		info = &pulumirpc.ProgramInfo{}
	}
	opts, tc, err := resolve(info, false)
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: about.PythonExecutable,
		Version:    about.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": about.ToolchainVersion.String(),
		},
	}, nil
}

// GetProgramDependencies lists the installed Python packages (for `pulumi about`).
func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// withStderr adds a failed command's stderr to its error.
func withStderr(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && len(exitErr.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exitErr.Stderr)))
	}
	return err
}
