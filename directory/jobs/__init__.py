"""Rank 8: scheduled jobs: the job registry, the APScheduler process and the job log; its page and the `jobs`
command.
"""
