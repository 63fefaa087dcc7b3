"""Exchange-programs assistant: cited answers from an organisation's own documents."""
