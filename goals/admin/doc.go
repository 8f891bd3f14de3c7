// Package admin serves the pages where a person connects Asana, maps
// employees, runs a sync and reads goals.
package admin
