package signatures.rego_anti_debugging_test

test_nothing if true
