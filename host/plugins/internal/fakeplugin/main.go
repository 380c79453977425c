// Command fakeplugin is a plugin that misbehaves on purpose, for the tests
// of the loader and the end-to-end suite. One binary, copied under several
// names: its behaviour is the part of its file name after
// "warden-agent-fake-", and the agent type it defines is called "fake-"
// followed by that.
//
//	ok           a valid definition (domains fake.example.org)
//	baddomain    a definition whose domain is invalid
//	badname      a definition whose name cannot be in a preview URL
//	badcookie    the wrong handshake cookie: exits at once
//	version2     protocol version 2, which no daemon speaks yet
//	notaplugin   prints something else than a handshake and waits
//	hang         prints nothing and waits
//	claudecode   a valid definition named like a built-in type
//	crash        a valid definition, then dies 500ms after each start
//	crashonce    dies after its first start only (the marker file beside it)
//	errors       answers the definition call with an error
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/plugins/agentplugin"
)

func main() {
	self, _ := os.Executable()
	mode := strings.TrimPrefix(filepath.Base(os.Args[0]), "warden-agent-fake-")
	def := agent.Definition{
		Name:          "fake-" + mode,
		DisplayName:   "Fake " + mode,
		Image:         "warden-agent-test:latest",
		Command:       []string{"sleep", "infinity"},
		Env:           map[string]string{"FAKE_PLUGIN": mode},
		ConfigFolders: []string{"/home/agent/.fake"},
		Domains:       []string{"fake.example.org"},
		HealthCheck:   []string{"true"},
	}
	handshake := agentplugin.Handshake
	var impl agent.Type = agent.Static(def)
	switch mode {
	case "ok":
	case "baddomain":
		def.Domains = []string{"fake.example.org", "bad..example"}
		impl = agent.Static(def)
	case "badname":
		def.Name = "Fake_Bad"
		impl = agent.Static(def)
	case "badcookie":
		handshake.MagicCookieValue = "not-the-cookie"
	case "version2":
		handshake.ProtocolVersion = 2
	case "notaplugin":
		fmt.Println("hello, I am not a plugin")
		time.Sleep(time.Minute)
		return
	case "hang":
		time.Sleep(time.Minute)
		return
	case "claudecode":
		def.Name = "claude-code"
		impl = agent.Static(def)
	case "crash":
		go func() {
			time.Sleep(500 * time.Millisecond)
			panic("fake plugin crashing on purpose")
		}()
	case "crashonce":
		marker := self + ".crashed"
		if _, err := os.Stat(marker); err != nil {
			_ = os.WriteFile(marker, nil, 0o600)
			go func() {
				time.Sleep(300 * time.Millisecond)
				os.Exit(3)
			}()
		}
	case "errors":
		impl = failing{}
	default:
		fmt.Fprintf(os.Stderr, "fakeplugin: unknown mode %q\n", mode)
		os.Exit(2)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         agentplugin.Plugins(impl),
	})
}

type failing struct{}

func (failing) Definition() (agent.Definition, error) {
	return agent.Definition{}, errors.New("fake plugin cannot say what it is")
}
