"""Plain text that both entry points print: answers, tickets, audits. No Slack markup."""
