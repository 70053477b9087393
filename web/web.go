// Package web holds the built front ends, embedded in the binary: the chat
// box (widget/dist: the host-page loader and the iframe app) and the agent
// dashboard (dashboard/dist). They are built
// by `make` (npm); without a build only a placeholder is embedded and the
// server says the chat box is not built.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:widget/dist
var widgetDist embed.FS

//go:embed all:dashboard/dist
var dashboardDist embed.FS

// Dashboard returns the built agent dashboard (index.html, assets/).
func Dashboard() fs.FS {
	sub, err := fs.Sub(dashboardDist, "dashboard/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Widget returns the built chat box files (loader.js, frame.html, assets/).
func Widget() fs.FS {
	sub, err := fs.Sub(widgetDist, "widget/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
