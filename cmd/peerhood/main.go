// Command peerhood runs a peerhood node and talks to it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/peerhood/peerhood/internal/cli"
	"github.com/peerhood/peerhood/internal/cli/up"
)

func main() {
	if err := cli.NewRoot(up.Command).ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "peerhood: %v\n", err)
		os.Exit(1)
	}
}
