// pulumi-language-nodejs for this project's offline engine.
//
// Pulumi's own Node.js language host lives in a Go module the module proxy does not serve, so the
// engine bootstrap builds this small host instead. It implements the parts of the LanguageRuntime
// protocol that `pulumi preview/up/refresh/destroy` and local policy packs use: Run (start the
// program with @pulumi/pulumi's run script) and RunPlugin (start a policy pack with
// run-policy-pack behind the SDK's PolicyProxy, exactly as Pulumi's host does). Code generation,
// packing and dependency installation are not offered; the engine reports them as unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The run script exits with this code once it has reported an actionable error to the engine.
const exitAfterReportedError = 32

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
}

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.String("root", "", "Project root (unused)")
	flag.Parse()

	host := &languageHost{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		host.engineAddress = args[0]
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

func (h *languageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Dynamic providers run in the bundled pulumi-nodejs plugin, so a program of this project needs no
// other resource plugin.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// Dependencies are installed by the project's own `npm ci`; nothing to do here.
func (h *languageHost) InstallDependencies(
	*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}

type runtimeOptions struct {
	typescript   bool
	tsconfigPath string
	nodeArgs     []string
}

func parseRuntimeOptions(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	values := info.GetOptions().AsMap()
	if ts, ok := values["typescript"].(bool); ok {
		opts.typescript = ts
	}
	if path, ok := values["tsconfig"].(string); ok {
		opts.tsconfigPath = path
	}
	if args, ok := values["nodeargs"].(string); ok {
		opts.nodeArgs = strings.Fields(args)
	}
	return opts
}

func (o runtimeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfigPath)
	}
	return env
}

// resolveModule finds an entry point of @pulumi/pulumi the way Node resolves it from dir, so the
// program's own copy of the SDK runs the program.
func resolveModule(node, dir, module string) (string, error) {
	cmd := exec.Command(node, "-e", "console.log(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find %s from %s: it looks like the Pulumi SDK is not installed; "+
			"run `npm ci` in the project", module, dir)
	}
	return strings.TrimSpace(string(out)), nil
}

func programDirectory(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return fallback
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH: install Node.js 20 or newer")
	}
	programDir := programDirectory(req.GetInfo(), req.GetPwd())
	runPath, err := resolveModule(node, programDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts := parseRuntimeOptions(req.GetInfo())
	args := append(append([]string{}, opts.nodeArgs...), runPath)
	appendFlag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	appendFlag("monitor", req.GetMonitorAddress())
	appendFlag("engine", h.engineAddress)
	appendFlag("organization", req.GetOrganization())
	appendFlag("project", req.GetProject())
	appendFlag("stack", req.GetStack())
	appendFlag("pwd", req.GetPwd())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	appendFlag("parallel", fmt.Sprint(req.GetParallel()))
	appendFlag("tracing", h.tracing)
	// The run script require()s the program, so the path must be absolute: a relative one would be
	// resolved from the script's own folder.
	entryPoint := "."
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		entryPoint = req.GetInfo().GetEntryPoint()
	}
	if !filepath.IsAbs(entryPoint) {
		entryPoint = filepath.Join(programDir, entryPoint)
	}
	args = append(args, entryPoint)
	args = append(args, req.GetArgs()...)

	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, fmt.Errorf("serializing configuration: %w", err)
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, fmt.Errorf("serializing configuration secret keys: %w", err)
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	env = append(env, opts.env()...)

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	// Wrapping the writers makes exec copy the output through pipes: Node may switch a shared
	// descriptor to non-blocking mode, which would break the engine's own writes.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	return runResponse(cmd.Run()), nil
}

func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			if status.ExitStatus() == exitAfterReportedError {
				return &pulumirpc.RunResponse{Bail: true}
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", status.ExitStatus())}
		}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run node): %v", err)}
}

// streamWriter forwards a plugin's stdout or stderr to the engine.
type streamWriter struct {
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	data := append([]byte{}, p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	}
	if err := w.server.Send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("node is not on PATH: install Node.js 20 or newer")
	}
	pluginDir := programDirectory(req.GetInfo(), req.GetPwd())
	isPolicyPack := req.GetKind() == "analyzer"
	module := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicyPack {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runPath, err := resolveModule(node, pluginDir, module)
	if err != nil {
		return err
	}

	opts := parseRuntimeOptions(req.GetInfo())
	env := append(append([]string{}, req.GetEnv()...), opts.env()...)
	args := append(append([]string{}, opts.nodeArgs...), runPath)
	// The policy pack runner takes the pack directory last; other plugins take it first.
	if isPolicyPack {
		args = append(append(args, req.GetArgs()...), pluginDir)
	} else {
		args = append(append(args, pluginDir), req.GetArgs()...)
	}

	var stdout io.Writer = streamWriter{server: server}
	stderr := streamWriter{server: server, stderr: true}

	// A policy pack receives the stack's configuration in its environment; the SDK's proxy answers
	// the engine's ConfigureStack call first, then hands the connection to the real pack.
	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		config, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if config != nil {
			env = append(env, policyPackEnv(config)...)
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	if isPolicyPack {
		cmd.Dir = pluginDir
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if proxy != nil {
		if err := cmd.Start(); err != nil {
			return err
		}
		return proxy.Attach(ctx, cmd)
	}
	exitCode := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("problem executing plugin %s: %w", filepath.Base(pluginDir), err)
		}
		exitCode = int32(exitErr.ExitCode())
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: exitCode}})
}

func policyPackEnv(config *pulumirpc.AnalyzerStackConfigureRequest) []string {
	var env []string
	appendVar := func(name, value string) {
		if value != "" {
			env = append(env, name+"="+value)
		}
	}
	appendVar("PULUMI_NODEJS_ORGANIZATION", config.GetOrganization())
	appendVar("PULUMI_NODEJS_PROJECT", config.GetProject())
	appendVar("PULUMI_NODEJS_STACK", config.GetStack())
	appendVar("PULUMI_NODEJS_DRY_RUN", fmt.Sprint(config.GetDryRun()))
	if config.GetConfig() != nil {
		if encoded, err := json.Marshal(config.GetConfig()); err == nil {
			appendVar("PULUMI_CONFIG", string(encoded))
		}
	}
	return env
}
