package asana

// Goal is an Asana goal (GoalResponse in Asana's API description) with the
// fields this package asks for. Fields Asana did not send are zero. It is
// the wire form only: package goals turns it into goals.Goal, the goal as
// stored.
type Goal struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	Name         string `json:"name"`
	// HTMLNotes is the goal's description as Asana's rich-text HTML.
	HTMLNotes string `json:"html_notes,omitempty"`
	DueOn     Date   `json:"due_on"`
	StartOn   Date   `json:"start_on"`
	// Owner is nil for a goal with no owner.
	Owner *User `json:"owner"`
	// CurrentStatusUpdate is the latest status update, nil when there is none.
	CurrentStatusUpdate *StatusUpdate `json:"current_status_update"`
	// Metric is the goal's numeric metric, nil when it has none.
	Metric *Metric `json:"metric"`
	// Status is the goal's own status field: green, yellow or red while
	// it is open; achieved, partial, missed or dropped once closed; "" when
	// Asana sent null. Asana shows it even when no status update exists.
	Status string `json:"status"`
	// TimePeriod is the period the goal belongs to, nil when it has none.
	TimePeriod *TimePeriod `json:"time_period"`
}

// TimePeriod is an Asana time period (TimePeriodCompact): a fiscal year,
// half or quarter of the workspace.
type TimePeriod struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	// DisplayName is Asana's label for the period, e.g. "Q1 FY26".
	DisplayName string `json:"display_name"`
	// Period is the cadence and index: FY, H1, H2, Q1, Q2, Q3 or Q4.
	Period string `json:"period,omitempty"`
	// StartOn and EndOn are the period's first and last days.
	StartOn Date `json:"start_on"`
	EndOn   Date `json:"end_on"`
}

// StatusType returns the goal's current status_type word, or "" when the
// goal has no status update.
func (g Goal) StatusType() string {
	if g.CurrentStatusUpdate == nil {
		return ""
	}
	return g.CurrentStatusUpdate.StatusType
}

// OwnerGID returns the owner's GID, or "" for an ownerless goal.
func (g Goal) OwnerGID() string {
	if g.Owner == nil {
		return ""
	}
	return g.Owner.GID
}

// User is an Asana user (UserCompact/UserResponse).
type User struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	Name         string `json:"name,omitempty"`
	Email        string `json:"email,omitempty"`
}

// Workspace is an Asana workspace or organization (WorkspaceCompact): what
// [Client.Workspaces] lists.
type Workspace struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	Name         string `json:"name,omitempty"`
}

// StatusUpdate is the part of an Asana status update this package reads.
type StatusUpdate struct {
	GID          string `json:"gid,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
	Title        string `json:"title,omitempty"`
	// StatusType is one of Asana's words for goals: on_track, at_risk,
	// off_track, achieved, partial, missed, dropped (projects also use
	// on_hold and complete).
	StatusType string `json:"status_type"`
}

// Metric is a goal's numeric metric (GoalMetricBase): the fields the
// library reads.
type Metric struct {
	GID string `json:"gid,omitempty"`
	// Unit is "none", "currency" or "percentage".
	Unit               string  `json:"unit,omitempty"`
	CurrencyCode       string  `json:"currency_code,omitempty"`
	InitialNumberValue float64 `json:"initial_number_value"`
	TargetNumberValue  float64 `json:"target_number_value"`
	CurrentNumberValue float64 `json:"current_number_value"`
}

// Resource is the compact form Asana uses for a reference to another object.
type Resource struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	Name         string `json:"name,omitempty"`
}

// GoalRelationship links a supported goal to a supporting resource (a
// sub-goal, project, task or portfolio).
type GoalRelationship struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type,omitempty"`
	// ResourceSubtype is "subgoal" or "supporting_work".
	ResourceSubtype    string    `json:"resource_subtype"`
	SupportingResource *Resource `json:"supporting_resource"`
	SupportedGoal      *Resource `json:"supported_goal,omitempty"`
}

// SubtypeSubgoal is the relationship subtype of a sub-goal, for
// [Client.GoalRelationships] (Asana's other subtype, "supporting_work",
// links projects, tasks and portfolios, which this library does not read).
const SubtypeSubgoal = "subgoal"

// nextPage is Asana's pagination object; it is null on the last page.
type nextPage struct {
	Offset string `json:"offset"`
}

type listResponse[T any] struct {
	Data     []T       `json:"data"`
	NextPage *nextPage `json:"next_page"`
}

func (l *listResponse[T]) reset()        { *l = listResponse[T]{} }
func (l *listResponse[T]) hasData() bool { return l.Data != nil }

type itemResponse[T any] struct {
	Data T `json:"data"`
}
