"""Local launcher, provisioning and the `wushe` command line."""
