"""Reading Python source with tree-sitter: documents, symbols, and (later) specs."""
