package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func (a *app) projectCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "project", Aliases: []string{"projects"}, Short: "Create, list, show, edit, remove, start and stop projects"}
	cmd.AddCommand(a.projectCreate(), a.projectList(), a.projectShow(), a.projectEdit(), a.projectEnv(), a.projectRemove(),
		a.lifecycle("start", "Start the project's sidecar, then its agent"),
		a.lifecycle("stop", "Stop the project's containers"),
		a.lifecycle("restart", "Restart the project's containers"))
	return cmd
}

func (a *app) projectCreate() *cobra.Command {
	var spec project.Spec
	var mode string
	var domains, env []string
	var start bool
	previewCSP := true
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a project; the allowlist is filled from the presets unless --domain is given",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if claim, ok := project.Claim(spec.Workspace); ok {
				if spec.Name == "" {
					spec.Name = claim
				}
			} else {
				ws, err := filepath.Abs(spec.Workspace)
				if err != nil {
					return err
				}
				spec.Workspace = ws
				if spec.Name == "" {
					spec.Name = filepath.Base(ws)
				}
			}
			spec.Mode = shared.Mode(mode)
			spec.PreviewCSPOff = !previewCSP
			if cmd.Flags().Changed("domain") {
				spec.Domains = &domains
			}
			var err error
			if spec.Env, err = parseEnv(env); err != nil {
				return err
			}
			c := a.client()
			var p project.Project
			if err := c.do(cmd.Context(), "POST", "/projects", spec, &p); err != nil {
				return err
			}
			if start {
				var res wire.ProjectResult
				if err := c.do(cmd.Context(), "POST", "/projects/"+p.ID+"/start", nil, &res); err != nil {
					return fmt.Errorf("project %s created, but starting it failed: %w", p.ID, err)
				}
				p = res.Project
			}
			if p.GitConfigWritable {
				fmt.Fprintln(a.errOut, gitWarning)
			}
			if p.PreviewCSPOff && p.Mode != shared.ModeFull {
				fmt.Fprintln(a.errOut, previewCSPWarning)
			}
			if a.json {
				return a.printJSON(p)
			}
			fmt.Fprintln(a.out, p.ID)
			return nil
		},
	}
	cwd, _ := os.Getwd()
	f := cmd.Flags()
	f.StringVar(&spec.Name, "name", "", "name (default: the workspace folder's name)")
	f.StringVar(&spec.Workspace, "workspace", cwd, "workspace folder on this machine, mounted at /workspace; on the kubernetes backend also pvc:NAME, a PersistentVolumeClaim of the namespace")
	f.StringVar(&spec.AgentType, "agent", "claude-code", "agent type (see `warden presets`)")
	f.StringSliceVar(&spec.Runtimes, "runtime", nil, "runtime whose registries to allow: node, python, go, rust, ruby, java (repeatable)")
	f.StringVar(&mode, "mode", string(shared.ModeRestricted), "network mode: full, restricted or none")
	f.StringSliceVar(&domains, "domain", nil, "allowlist entry (repeatable; replaces the presets); '!name' denies a name and every name under it")
	f.BoolVar(&spec.AllowSharedSuffixes, allowSharedFlag, false, allowSharedUsage)
	f.IntSliceVar(&spec.Ports, "port", nil, "forwarded port (repeatable)")
	f.StringVar(&spec.Image, "image", "", "agent image (default: the agent type's image)")
	f.StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE (repeatable)")
	f.BoolVar(&start, "start", false, "start the project once created")
	f.BoolVar(&spec.GitConfigWritable, "git-config-writable", false, "let the agent write .git/config, hooks and info, which your own git runs (unsafe)")
	f.BoolVar(&previewCSP, previewCSPFlag, true, previewCSPUsage)
	limitFlags(f, &spec.Limits)
	f.StringVar((*string)(&spec.HostAccess), "host-access", "", "what the agent reaches on the host: all (default), ports (with --host-port) or none")
	f.IntSliceVar(&spec.HostPorts, "host-port", nil, "host port the agent reaches, with --host-access ports (repeatable)")
	return a.addJSON(cmd)
}

func parseEnv(kvs []string) (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("bad variable %q; expect KEY=VALUE", kv)
		}
		env[k] = v
	}
	return env, nil
}

func (a *app) projectList() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List projects",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ps []project.Project
			if err := a.client().do(cmd.Context(), "GET", "/projects", nil, &ps); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(ps)
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tAGENT\tMODE\tDOMAINS\tPORTS\tDESIRED\tWORKSPACE")
			for _, p := range ps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.Name, p.AgentType, p.Mode,
					len(p.Domains), joinInts(p.Ports), p.Desired, p.Workspace)
			}
			return tw.Flush()
		},
	}
	return a.addJSON(cmd)
}

func (a *app) projectShow() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show PROJECT",
		Short: "Show a project's settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(p)
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "id\t%s\nname\t%s\nagent\t%s\nworkspace\t%s\nmode\t%s\nruntimes\t%s\nports\t%s\nimage\t%s\ndesired\t%s\npolicy\t%s\n",
				p.ID, p.Name, p.AgentType, p.Workspace, p.Mode, strings.Join(p.Runtimes, ", "), joinInts(p.Ports),
				orDefault(p.Image, "(agent type's default)"), p.Desired, pendingText(p))
			fmt.Fprintf(tw, "host access\t%s (the daemon's port never)\n", hostAccessText(p))
			fmt.Fprintf(tw, "limits\t%s\n", p.Limits.Effective())
			fmt.Fprintf(tw, "git config\t%s\n", gitConfigText(p))
			fmt.Fprintf(tw, "preview CSP\t%s\n", previewCSPText(p))
			fmt.Fprintf(tw, "domains\t%s\n", strings.Join(p.Domains, "\n\t"))
			fmt.Fprintf(tw, "env\t%s\n", strings.Join(sortedKeys(p.Env), ", "))
			return tw.Flush()
		},
	}
	return a.addJSON(cmd)
}

// gitWarning is what the CLI says of a project whose agent may write the
// git configuration the user's own git runs.
const gitWarning = "WARNING: writable by the agent: your own git in this workspace runs what the agent puts in .git/config and .git/hooks"

func gitConfigText(p project.Project) string {
	if p.GitConfigWritable {
		return gitWarning
	}
	return "read-only in the agent (.git/config, commondir, hooks, info)"
}

// The switch of the previews' Content-Security-Policy.
const (
	previewCSPFlag    = "preview-csp"
	previewCSPUsage   = "add Warden's Content-Security-Policy to the previews, so a preview page reaches only its own origin and, in restricted mode, the allowlist; --preview-csp=false lets it send your data to any site (unsafe)"
	previewCSPWarning = "WARNING: previews without Warden's Content-Security-Policy: a page the agent serves may send what it reads to any site once you open it"
)

func previewCSPText(p project.Project) string {
	switch {
	case p.PreviewCSPOff && p.Mode != shared.ModeFull:
		return "off: " + previewCSPWarning
	case p.PreviewCSPOff:
		return "off (mode full adds none anyway)"
	case p.Mode == shared.ModeFull:
		return "none in mode full; on in restricted and none"
	case p.Mode == shared.ModeRestricted:
		return "on: preview pages reach their own origin and https:// on the allowlist"
	}
	return "on: preview pages reach their own origin only"
}

// limitFlags binds the limit flags to l; 0 keeps the default.
func limitFlags(f *pflag.FlagSet, l *project.Limits) {
	d := project.DefaultLimits()
	f.Int64Var(&l.PIDs, "pids", 0, fmt.Sprintf("most processes and threads in the agent container (0: default %d)", d.PIDs))
	f.Int64Var(&l.MemoryMB, "memory-mb", 0, fmt.Sprintf("memory limit of the agent container in MiB (0: default %d)", d.MemoryMB))
	f.Float64Var(&l.CPUs, "cpus", 0, fmt.Sprintf("CPU limit of the agent container (0: default %g)", d.CPUs))
}

func pendingText(p project.Project) string {
	if p.Pending() {
		return "pending: the sidecar has not confirmed the latest change yet"
	}
	return "applied"
}

func (a *app) projectEdit() *cobra.Command {
	var patch project.Patch
	var name, mode, image string
	var env []string
	var gitWritable bool
	previewCSP := true
	var limits project.Limits
	cmd := &cobra.Command{
		Use:   "edit PROJECT",
		Short: "Edit a project's name, mode, image, environment, limits or git protection (see also `warden domains`, `warden ports`)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if f.Changed("name") {
				patch.Name = &name
			}
			if f.Changed("mode") {
				m := shared.Mode(mode)
				patch.Mode = &m
			}
			if f.Changed("image") {
				patch.Image = &image
			}
			if f.Changed("git-config-writable") {
				patch.GitConfigWritable = &gitWritable
				if gitWritable {
					fmt.Fprintln(a.errOut, gitWarning)
				}
			}
			if f.Changed(previewCSPFlag) {
				off := !previewCSP
				patch.PreviewCSPOff = &off
				if off {
					fmt.Fprintln(a.errOut, previewCSPWarning)
				}
			}
			if f.Changed("pids") || f.Changed("memory-mb") || f.Changed("cpus") {
				p, err := a.resolve(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				l := p.Limits
				if f.Changed("pids") {
					l.PIDs = limits.PIDs
				}
				if f.Changed("memory-mb") {
					l.MemoryMB = limits.MemoryMB
				}
				if f.Changed("cpus") {
					l.CPUs = limits.CPUs
				}
				patch.Limits = &l
			}
			if f.Changed("env") {
				e, err := parseEnv(env)
				if err != nil {
					return err
				}
				patch.Env = &e
			}
			return a.patch(cmd.Context(), args[0], patch)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new name")
	f.StringVar(&mode, "mode", "", "network mode: full, restricted or none")
	f.StringVar(&image, "image", "", "agent image (empty: the agent type's default)")
	f.StringArrayVar(&env, "env", nil, "replace the environment with these KEY=VALUE pairs (repeatable; `warden project env` edits one)")
	f.BoolVar(&gitWritable, "git-config-writable", false, "let the agent write .git/config, hooks and info, which your own git runs (unsafe; takes effect at the next start)")
	f.BoolVar(&previewCSP, previewCSPFlag, true, previewCSPUsage+" (takes effect at the next answer)")
	limitFlags(f, &limits)
	return a.addJSON(cmd)
}

// patch sends an edit and reports what became of the policy push.
func (a *app) patch(ctx context.Context, ref string, patch project.Patch) error {
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return err
	}
	var res wire.ProjectResult
	if err := a.client().do(ctx, "PATCH", "/projects/"+url.PathEscape(p.ID), patch, &res); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	a.reportPush(res)
	return nil
}

func (a *app) reportPush(res wire.ProjectResult) {
	switch push := res.Push; {
	case push == nil:
		fmt.Fprintf(a.out, "%s saved\n", res.Project.ID)
	case push.Applied && push.Cut > 0:
		fmt.Fprintf(a.out, "%s saved; the sidecar applied it in %.1f ms and cut %d open connections\n", res.Project.ID, push.DurationMs, push.Cut)
	case push.Applied:
		fmt.Fprintf(a.out, "%s saved; the sidecar applied it in %.1f ms\n", res.Project.ID, push.DurationMs)
	case push.Pending:
		fmt.Fprintf(a.out, "%s saved; pending: %s (applied as soon as the sidecar is reachable)\n", res.Project.ID, orDefault(push.Error, "the sidecar has not confirmed it"))
	default:
		fmt.Fprintf(a.out, "%s saved\n", res.Project.ID)
	}
}

func (a *app) projectRemove() *cobra.Command {
	return &cobra.Command{
		Use:     "rm PROJECT",
		Aliases: []string{"remove", "delete"},
		Short:   "Remove a project, its containers and its files (the workspace is left alone)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := a.client().do(cmd.Context(), "DELETE", "/projects/"+url.PathEscape(p.ID), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "%s removed\n", p.ID)
			return nil
		},
	}
}

func (a *app) lifecycle(verb, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   verb + " PROJECT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var res wire.ProjectResult
			if err := a.client().do(cmd.Context(), "POST", "/projects/"+url.PathEscape(p.ID)+"/"+verb, nil, &res); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.out, "%s %s\n", p.ID, res.Project.Desired)
			return nil
		},
	}
	return a.addJSON(cmd)
}

// resolve finds a project by id, or by a name no other project has.
func (a *app) resolve(ctx context.Context, ref string) (project.Project, error) {
	c := a.client()
	var p project.Project
	err := c.do(ctx, "GET", "/projects/"+url.PathEscape(ref), nil, &p)
	if err == nil {
		return p, nil
	}
	if e, ok := err.(*apiError); !ok || e.Status != 404 {
		return p, err
	}
	var ps []project.Project
	if err := c.do(ctx, "GET", "/projects", nil, &ps); err != nil {
		return p, err
	}
	var found []project.Project
	for _, q := range ps {
		if q.Name == ref {
			found = append(found, q)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return p, fmt.Errorf("no project with id or name %q; `warden project ls` lists them", ref)
	default:
		ids := make([]string, len(found))
		for i, q := range found {
			ids[i] = q.ID
		}
		sort.Strings(ids)
		return p, fmt.Errorf("%d projects are named %q; use an id: %s", len(found), ref, strings.Join(ids, ", "))
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
