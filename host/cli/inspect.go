package cli

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/shared"
)

func (a *app) statusCommand() *cobra.Command {
	return a.addJSON(&cobra.Command{
		Use:   "status [PROJECT]",
		Short: "Show the project's containers and its sidecar's status; without a project, the daemon's",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return a.daemonStatus(cmd)
			}
			p, err := a.resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var st wire.Status
			if err := a.client().do(cmd.Context(), "GET", "/projects/"+url.PathEscape(p.ID)+"/status", nil, &st); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(st)
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "project\t%s (%s)\nrunning\t%v\nmode\t%s\npolicy\t%s\nports\t%s\n",
				p.ID, p.Name, st.Running, p.Mode, pendingText(st.Project), joinInts(st.Ports))
			if st.WardenFileError != "" {
				fmt.Fprintf(tw, ".warden.json\t%s\n", st.WardenFileError)
			}
			if st.RuntimeError != "" {
				fmt.Fprintf(tw, "containers\t%s\n", st.RuntimeError)
			}
			if s := st.Sidecar; s != nil {
				entries := 0
				for _, set := range s.Sets {
					entries += set.Entries
				}
				fmt.Fprintf(tw, "sidecar\tready=%v version=%s up %.0fs\n", s.Ready, s.Version, s.UptimeSeconds)
				fmt.Fprintf(tw, "dns\tallowed=%d refused=%d forwarded=%d upstream errors=%d\n",
					s.DNS.Allowed, s.DNS.Refused, s.DNS.Forwarded, s.DNS.UpstreamErrors)
				fmt.Fprintf(tw, "addresses\t%d in sets\n", entries)
				if la := s.LastApply; la != nil {
					fmt.Fprintf(tw, "last apply\t%s, %.1f ms\n", la.AppliedAt.Format("2006-01-02 15:04:05"), la.DurationMs)
				}
				for _, pr := range s.Problems {
					fmt.Fprintf(tw, "problem\t%s\n", pr)
				}
			} else if st.SidecarError != "" {
				fmt.Fprintf(tw, "sidecar\t%s\n", st.SidecarError)
			}
			return tw.Flush()
		},
	})
}

// daemonStatus prints GET /status.
func (a *app) daemonStatus(cmd *cobra.Command) error {
	var st wire.DaemonStatus
	if err := a.client().do(cmd.Context(), "GET", "/status", nil, &st); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(st)
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	if ps := st.Previews; ps != nil {
		fast := "on"
		if !ps.Fast {
			fast = "off (warden serve --preview-fast=false)"
		}
		fmt.Fprintf(tw, "preview fast paths\t%s\n", fast)
		fmt.Fprintf(tw, "preview requests\tfast path %d, event loop %d, server %d\n", ps.FastPath, ps.EventLoop, ps.Server)
	}
	return tw.Flush()
}

func eventLine(e shared.Event) string {
	t := e.Time.Local().Format("15:04:05")
	switch e.Kind {
	case shared.EventDNSRefused:
		return fmt.Sprintf("%s  refused   %s %s (%s)", t, e.Name, e.QType, e.Protocol)
	case shared.EventConnRejected:
		target := e.Address
		if e.Port != 0 {
			target = fmt.Sprintf("%s port %d", e.Address, e.Port)
		}
		if e.Reason == shared.ReasonHostPort {
			return fmt.Sprintf("%s  rejected  %s (%s, host port)", t, target, e.Protocol)
		}
		return fmt.Sprintf("%s  rejected  %s (%s)", t, target, e.Protocol)
	case shared.EventNameRefused:
		return t + "  " + nameRefusedLine(e)
	case shared.EventDNSAllowed:
		line := fmt.Sprintf("%s  reached   %s %s", t, plainOrQuoted(e.Name), e.QType)
		if len(e.Addresses) > 0 {
			line += " -> " + strings.Join(e.Addresses, ", ")
		}
		return line + " (" + e.Protocol + ")"
	case shared.EventConnAllowed:
		return fmt.Sprintf("%s  connected %s (%s)", t, plainOrQuoted(e.Name), net.JoinHostPort(e.Address, strconv.Itoa(e.Port)))
	default:
		return fmt.Sprintf("%s  %s  %s %s", t, e.Kind, e.Name, e.Address)
	}
}

// nameRefusedLine describes a connection cut for the name it carried:
// "named shared-b.example.org, not allowed (203.0.113.7:443)", or
// "unnamed   no name (203.0.113.7:443)" when it carried none. The name
// comes from the agent, so anything but a plain name is quoted.
func nameRefusedLine(e shared.Event) string {
	target := e.Address
	if e.Port != 0 {
		target = net.JoinHostPort(e.Address, strconv.Itoa(e.Port))
	}
	if e.Name == "" {
		reason := cmp.Or(e.Reason, "no name")
		return fmt.Sprintf("unnamed   %s (%s)", plainOrQuoted(reason), plainOrQuoted(target))
	}
	return fmt.Sprintf("named     %s, %s (%s)", plainOrQuoted(e.Name), plainOrQuoted(cmp.Or(e.Reason, "not allowed")), plainOrQuoted(target))
}

// plainOrQuoted returns s as it is when it holds only printable ASCII without
// quotes, and quoted with escapes otherwise, so no byte reaches the
// terminal as a control sequence.
func plainOrQuoted(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' {
			return strconv.QuoteToASCII(s)
		}
	}
	return s
}
