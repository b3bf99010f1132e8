"""dfaas-forecaster: a reference forecaster with the prototype's HTTP schema (linear model)."""
