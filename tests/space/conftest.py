from tests.policies.conftest import eligible_resident, policies  # noqa: F401  (the policy fixtures, reused)
