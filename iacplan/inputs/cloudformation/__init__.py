"""CloudFormation: templates, the value resolver, change sets."""
