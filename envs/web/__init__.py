"""Web environments: a Playwright browser env with the Gymnasium API, bundled self-hosted sites, WebArena tasks.

    from envs.web.env import WebEnv, WebEnvConfig
    env = WebEnv(WebEnvConfig(), urls={"SHOPPING": "http://127.0.0.1:7770"})
    obs, info = env.reset(options={"task": task_config})     # obs["axtree"], obs["som"], obs["messages"], ...
    obs, reward, terminated, truncated, info = env.step("click [12]")   # or "Thought: ... Action: Click [12]"

Modules: env (the env), browser (one shared Chromium on an asyncio loop thread), actions (WebArena and PAE
grammars), observation (accessibility tree, set-of-marks), security (which URLs the agent may open),
tasks (WebArena task configs), oracles (scripted solutions), sites (the bundled sites).
Nothing is imported here, so `envs.web.sites` stays free of Playwright.
"""
