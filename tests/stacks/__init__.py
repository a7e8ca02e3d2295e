"""Tests of stacks/: one module per stack module, each on the synthesized templates."""
