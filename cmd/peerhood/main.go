// Command peerhood runs a peerhood node and talks to it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/peerhood/peerhood/internal/cli"
)

func main() {
	if err := cli.NewRoot().ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "peerhood: %v\n", err)
		os.Exit(1)
	}
}
