// Command mkgeo writes a tiny City database in the flat DB-IP Lite layout
// for tests that run a real `parley serve` (the browser tests): it knows
// 81.2.69.0/24 as London, GB and 84.0.0.0/16 as Budapest, HU.
//
//	go run ./internal/geo/mkgeo out.mmdb
package main

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkgeo out.mmdb")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkgeo:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "city ipv4", IPVersion: 4, RecordSize: 28, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for cidr, rec := range map[string][3]string{
		"81.2.69.0/24": {"London", "England", "GB"},
		"84.0.0.0/16":  {"Budapest", "Budapest", "HU"},
	} {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			return err
		}
		err = tree.Insert(network, mmdbtype.Map{"city": mmdbtype.String(rec[0]), "state1": mmdbtype.String(rec[1]), "country_code": mmdbtype.String(rec[2])})
		if err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
