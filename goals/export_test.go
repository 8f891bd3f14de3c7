package goals

// StatusOf is statusOf, for the black-box tests of package goals_test.
var StatusOf = statusOf
