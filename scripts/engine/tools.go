//go:build tools

// Package tools pins the Pulumi CLI's main package so that this module's go.mod and go.sum fix
// every dependency of the engine build.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
