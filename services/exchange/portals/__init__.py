"""Portal callbacks (门户回调): a portal that posted a work order hears of its progress on its own
endpoint, signed with its secret, through the webhooks' delivery worker."""
