"""Who people are: users, bearer tokens, identity-provider tokens and page sessions."""
