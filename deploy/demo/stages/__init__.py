"""The demo's stages, in the order deploy.demo.STAGES names them: one mixin class a module, each a
Client (deploy/demo/client.py) whose methods are the stage and its named sub-steps. deploy.demo.Demo
composes them all; a stage may call a sub-step of another (services start the projects and blow the
whistles; projects and matters are decided by the party committee), resolved on that one object."""
