// The pulumi-kubernetes provider, served from its library as its release build serves it.
//
// The upstream main embeds schema-embed.json and terraform-mapping-embed.json,
// which its release build generates and git ignores, so the module zip lacks
// them; build_tools.py writes them beside this file from the committed sources.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
