"""LibCST codemods: put a candidate into its module and turn the result into minimal edits."""
