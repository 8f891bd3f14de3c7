package main

import (
	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/status"
)

// jsonGoal, jsonTimePeriod and jsonKeyResult are the -format json output
// as a consumer decodes it, written out key by key and independently of
// the command's own types (which derive from goals.Goal), so that a change
// of the output shows here as a difference.
type jsonGoal struct {
	EmployeeID   string             `json:"employee_id"`
	GID          string             `json:"gid"`
	Name         string             `json:"name"`
	Description  string             `json:"description"`
	StartOn      asana.Date         `json:"start_on"`
	DueOn        asana.Date         `json:"due_on"`
	Status       status.Status      `json:"status"`
	StatusSource goals.StatusSource `json:"status_source"`
	TimePeriod   *jsonTimePeriod    `json:"time_period"`
	KeyResults   []jsonKeyResult    `json:"key_results"`
}

type jsonTimePeriod struct {
	GID         string     `json:"gid"`
	DisplayName string     `json:"display_name"`
	Period      string     `json:"period"`
	StartOn     asana.Date `json:"start_on"`
	EndOn       asana.Date `json:"end_on"`
}

type jsonKeyResult struct {
	GID          string             `json:"gid"`
	Name         string             `json:"name"`
	Status       status.Status      `json:"status"`
	StatusSource goals.StatusSource `json:"status_source"`
	DueOn        asana.Date         `json:"due_on"`
}
