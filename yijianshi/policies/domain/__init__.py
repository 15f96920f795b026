"""Policies granted without application (免申即享), database-free core: rules as data (rules), the interpreter for
one subject with reasons (interpreter), the Polars compiler for all subjects at once (compiler), and policies as
data (policy)."""
