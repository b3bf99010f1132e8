"""Experiments for DFaaS: open-loop load, scenarios, reports and a strategy simulator."""
