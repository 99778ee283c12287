package readme

// CheckRSTForTest exposes the reStructuredText checker to tests.
var CheckRSTForTest = checkRST
