"""``make recover``: back from any interrupted deploy or destroy, in the order that works.

Release the stale locks (and stop if one may be live), adopt the orphans where their
identity tag places them, delete what cannot be adopted, then plan every stack without
changing anything (docs/recovery.md). Run twice, the second run finds nothing to do.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tools.deploy import commands
from tools.recovery import locks, orphans
from tools.recovery.context import Context, confirmed, ensure_init, ensure_synth

NOTHING = "nothing to recover: no stale lock, no orphan"


def remaining(ctx: Context) -> list[str]:
    """One line per app stack: what a deploy would still change (plans without the lock,
    all at once: they only read). A stack whose upstream has no outputs yet is not planned."""
    states = orphans.state_documents(ctx, ctx.app_stacks())
    deps = commands.manifest_stacks(ctx.ws)

    def plan(stack: str) -> str:
        missing = [up for up in deps.get(stack, []) if not states.get(up, {}).get("outputs")]
        if missing:
            return f"  {stack}: not planned yet; it reads {', '.join(missing)}'s outputs"
        ensure_init(ctx, stack)
        log = ctx.ws.log(f"recover-plan-{stack}")
        result = commands.replan(ctx.ws, stack, ctx.env, log, lock=False)
        if result.returncode == 0:
            return f"  {stack}: no changes"
        if result.returncode == 2:
            summary = [x for x in commands.plan_changes(result.output).splitlines() if "Plan:" in x]
            return f"  {stack}: {summary[-1].strip() if summary else 'changes'}"
        return f"  {stack}: plan failed: {commands.terraform_errors(result.output)}"

    with ThreadPoolExecutor() as pool:
        return list(pool.map(plan, ctx.app_stacks()))


def recover(ctx: Context, *, yes: bool, plan: bool = True) -> int:
    ensure_synth(ctx)
    if locks.unlock(ctx, None, force=False):  # stale ones released, live ones refused
        print("not recovering while a lock may belong to a running deploy (see above)")
        return 1
    found = orphans.find_orphans(ctx)
    work = orphans.plan_recovery(ctx, found)
    if not found and not work.imports:
        print(NOTHING)
    else:
        print(orphans.report(ctx, found, work))
        doomed = [item for item, _ in work.purge]
        question = f"Import {work.count()} and delete {len(doomed)} resource(s) on AWS?"
        if not confirmed(ctx, question, yes):
            return 1
        orphans.adopt(ctx, work)
        if doomed and orphans.purge(ctx, doomed, yes=True):
            return 1
        print(f"adopted {work.count()}, deleted {len(doomed)}")
    if not plan:
        return 0
    print(f"what `{ctx.make('deploy')}` will do now:")
    print("\n".join(remaining(ctx)))
    return 0
