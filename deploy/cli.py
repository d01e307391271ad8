"""The `wushe` command line."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from kit.settings import PII_SERVICES, SERVICES, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wushe", description="五社联动平台 / wushe platform")
    sub = parser.add_subparsers(dest="command", required=True)
    up_cmd = sub.add_parser("up", help="启动全部服务 / start the whole stack (what `make run` calls)")
    up_cmd.add_argument(
        "--nats-cluster",
        type=int,
        default=None,
        metavar="N",
        help="在本机启动 N 节点 NATS 集群，消息流 min(N, 3) 副本 / run an N-node NATS cluster on loopback, streams with min(N, 3) replicas",
    )
    up_cmd.add_argument(
        "--replicas",
        type=replica_count,
        action="append",
        default=[],
        metavar="NAME=N",
        help="某服务运行 N 个进程，共用其端口（可重复）/ run N processes of a service on its one port "
        "(repeatable), e.g. --replicas volunteers=2",
    )
    sub.add_parser("provision", help="创建数据库、角色、迁移与消息流 / create databases, roles, migrations, streams")
    token = sub.add_parser("token", help="签发开发用令牌 / print a development JWT")
    token.add_argument("--role", required=True)
    token.add_argument("--area", required=True, help="辖区行政区划代码 / jurisdiction area code")
    token.add_argument("--sub", default=None, help="subject (user id); default dev-<role>")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    dlq = sub.add_parser("dlq", help="死信 / dead letters")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_sub.add_parser("list")
    replay_cmd = dlq_sub.add_parser("replay")
    replay_cmd.add_argument("seq", nargs="*", type=int, help="DLQ sequence numbers (default: all)")
    replay_cmd.add_argument(
        "--force",
        action="store_true",
        help="也重放早于保留期限的事件 / also replay events older than the inbox retention",
    )
    demo = sub.add_parser("demo", help="载入演示数据到运行中的平台 / load the demo data into the running stack")
    demo.add_argument(
        "--force",
        action="store_true",
        help="即使已载入也再运行一遍 / run again even if loaded "
        "(what $WUSHE_HOME/demo/journal.json records is not sent again)",
    )
    keys = sub.add_parser("keys", help="个人信息加密密钥 / personal-data keys")
    keys.add_subparsers(dest="keys_command", required=True).add_parser("rotate", help="add a key and make it active")
    reencrypt_cmd = sub.add_parser(
        "reencrypt", help="用当前密钥重新加密个人信息 / re-encrypt personal data under the active key"
    )
    reencrypt_cmd.add_argument(
        "service",
        nargs="*",
        metavar="SERVICE",  # no choices=: argparse refuses an empty "*"
        help="、".join(PII_SERVICES) + "（默认全部 / default: all）",
    )
    reencrypt_cmd.add_argument("--batch", type=int, default=200, help="每个事务的行数 / rows per transaction")
    rebuild_cmd = sub.add_parser(
        "rebuild", help="从事件流重建读模型（服务运行中亦可）/ rebuild a read model from its stream, while it runs"
    )
    rebuild_cmd.add_argument("service", choices=SERVICES)
    rebuild_cmd.add_argument("projection", help="读模型，如 volunteers 的 demands / e.g. demands of volunteers")
    outbox = sub.add_parser("outbox", help="待发事件 / the services' outboxes")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_list = outbox_sub.add_parser("list", help="每个服务的待发、搁置事件 / pending and parked rows per service")
    outbox_list.add_argument("--service", choices=SERVICES, action="append", help="default: every service")
    outbox_retry = outbox_sub.add_parser("retry", help="重新发送搁置的事件 / re-queue parked rows")
    outbox_retry.add_argument("service", choices=SERVICES)
    outbox_retry.add_argument("id", nargs="*", type=int, help="outbox row ids (default: every parked row)")
    partner = sub.add_parser("partner", help="数据交换的合作方 / partners of the data exchange")
    partner_sub = partner.add_subparsers(dest="partner_command", required=True)
    partner_add = partner_sub.add_parser("add", help="登记合作方 / register a partner")
    partner_add.add_argument("name", help="登录名：小写字母、数字、连字符 / login: a-z, 0-9, -")
    partner_add.add_argument("--area", required=True, help="辖区行政区划代码 / the partner's area code")
    partner_add.add_argument(
        "--events", nargs="+", required=True, metavar="PATTERN", help="如 needs.* charity.donation_received * "
    )
    partner_add.add_argument("--label", default="", help="名称，如 石家庄市12345热线 / as people call it")
    partner_sub.add_parser("list", help="列出合作方 / list partners")
    partner_sub.add_parser("revoke", help="撤销合作方 / revoke a partner").add_argument("name")
    portal = sub.add_parser("portal", help="提交工单的门户（如 12345 热线）/ portals that post work orders")
    portal_sub = portal.add_subparsers(dest="portal_command", required=True)
    portal_add = portal_sub.add_parser("add", help="登记门户并生成签名密钥 / register a portal, make its secret")
    portal_add.add_argument("name", help="登录名：小写字母、数字、连字符 / login: a-z, 0-9, -")
    portal_add.add_argument("--area", required=True, help="门户辖区的行政区划代码 / the portal's area code")
    portal_add.add_argument("--label", default="", help="名称，如 灵寿县12345热线 / as people call it")
    portal_add.add_argument("--callback", help="接收工单进展的网址 / the URL that hears of its work orders' progress")
    portal_callback = portal_sub.add_parser("callback", help="设置进展回调地址 / where progress is posted")
    portal_callback.add_argument("name")
    portal_callback.add_argument("url", help="http(s) 网址 / an http(s) URL")
    portal_sub.add_parser("list", help="列出门户 / list portals")
    portal_sub.add_parser("rotate", help="轮换签名密钥 / a new signing secret").add_argument("name")
    portal_sub.add_parser("revoke", help="撤销门户 / revoke a portal").add_argument("name")
    serve_cmd = sub.add_parser("serve", help="run one service / 运行单个服务")
    serve_cmd.add_argument("service", choices=[*SERVICES, "gateway"])
    serve_cmd.add_argument(
        "--reuse-port",
        action="store_true",
        help="与同一服务的其他副本共用端口（SO_REUSEPORT）/ share the port with the service's other replicas",
    )
    relay_cmd = sub.add_parser("relay", help="run one service's outbox relay on its own")
    relay_cmd.add_argument("service", choices=SERVICES)
    args = parser.parse_args(argv)
    settings = Settings()

    if args.command == "up":
        from deploy.launcher import up

        if args.nats_cluster is not None:
            if args.nats_cluster < 1:
                parser.error("--nats-cluster 至少为 1 / must be at least 1")
            settings = settings.model_copy(update={"nats_cluster_size": args.nats_cluster})
        return up(settings, dict(args.replicas))
    if args.command == "provision":
        from deploy.provision import provision
        from deploy.servers import postgres_running

        if not postgres_running(settings):
            print(
                "PostgreSQL 未运行 / is not running under WUSHE_HOME; start the stack with `wushe up`", file=sys.stderr
            )
            return 2
        asyncio.run(provision(settings))
        return 0
    if args.command == "token":
        from kit.auth import issue_token

        try:
            print(
                issue_token(
                    settings, role=args.role, area=args.area, sub=args.sub or f"dev-{args.role}", ttl_s=args.ttl
                )
            )
        except ValueError as exc:
            print(f"wushe token: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "dlq":
        from deploy import dlq as dead_letters

        if args.dlq_command == "list":
            return asyncio.run(dead_letters.list_(settings))
        return asyncio.run(dead_letters.replay(settings, args.seq, force=args.force))
    if args.command == "outbox":
        from deploy import outbox as outboxes

        if args.outbox_command == "list":
            return asyncio.run(outboxes.list_(settings, args.service or list(SERVICES)))
        return asyncio.run(outboxes.retry(settings, args.service, args.id))
    if args.command == "partner":
        from deploy import partners

        if args.partner_command == "add":
            return asyncio.run(partners.add(settings, args.name, args.area, args.events, args.label))
        if args.partner_command == "list":
            return asyncio.run(partners.list_(settings))
        return asyncio.run(partners.revoke(settings, args.name))
    if args.command == "portal":
        from deploy import portals

        if args.portal_command == "add":
            return asyncio.run(portals.add(settings, args.name, args.area, args.label, args.callback))
        if args.portal_command == "callback":
            return asyncio.run(portals.callback(settings, args.name, args.url))
        if args.portal_command == "list":
            return portals.list_(settings)
        return asyncio.run((portals.rotate if args.portal_command == "rotate" else portals.revoke)(settings, args.name))
    if args.command == "demo":
        return demo_command(settings, args.force)
    if args.command == "keys":
        from kit.crypto import rotate_keyring

        kid = rotate_keyring(settings.keyring_file)
        print(
            f"当前密钥 / active key: {kid}（请重启各服务，再运行 wushe reencrypt / restart the services, then run "
            "`wushe reencrypt`）"
        )
        return 0
    if args.command == "rebuild":
        from deploy import rebuild

        return rebuild.run(settings, args.service, args.projection)
    if args.command == "reencrypt":
        from deploy import reencrypt

        if unknown := sorted(set(args.service) - set(PII_SERVICES)):
            reencrypt_cmd.error(
                f"未知服务 / unknown service {', '.join(unknown)} (choose from {', '.join(PII_SERVICES)})"
            )
        if args.batch < 1:
            reencrypt_cmd.error("--batch 须为正整数 / must be a positive integer")
        return asyncio.run(reencrypt.run(settings, args.service or list(PII_SERVICES), args.batch))
    if args.command == "serve":
        return serve(settings, args.service, reuse_port=args.reuse_port)
    if args.command == "relay":
        return asyncio.run(run_relay(settings, args.service))
    return 2


def replica_count(text: str) -> tuple[str, int]:
    """`--replicas NAME=N` → (NAME, N): a known service (or the gateway) and N ≥ 1."""
    name, _, count = text.partition("=")
    apps = [*SERVICES, "gateway"]
    if name not in apps:
        raise argparse.ArgumentTypeError(
            f"未知服务 / unknown service {name!r} in {text!r} (choose from {', '.join(apps)})"
        )
    if not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError(
            f"副本数须为正整数 / the count must be a positive integer: {text!r} (e.g. {name}=2)"
        )
    return name, int(count)


def demo_command(settings: Settings, force: bool) -> int:
    import urllib.error
    import urllib.request

    from deploy.demo import load_demo
    from deploy.launcher import catch_stop_signals

    try:
        with urllib.request.urlopen(f"{settings.url_of('gateway')}/readyz", timeout=2.0):
            pass
    except (urllib.error.URLError, OSError):
        print(
            f"平台未运行 / the stack is not running at {settings.url_of('gateway')}: start it with `wushe up`",
            file=sys.stderr,
        )
        return 2
    return 0 if load_demo(settings, should_stop=catch_stop_signals(), force=force) else 1


# Longer than the gateway keeps an idle connection (services/gateway/upstream.py KEEPALIVE_S): the
# client, not the server, ends an idle connection, so no request is ever sent into a closing one.
KEEP_ALIVE_S = 75


def serve(settings: Settings, service: str, reuse_port: bool = False) -> int:
    """One process of `service`. With `reuse_port` its replicas each bind the same port
    (SO_REUSEPORT: the kernel spreads new connections over them, and a replica that dies only takes
    its own connections with it), so the gateway and clients need to know one address only."""
    import uvicorn

    port = settings.port_of(service)
    try:
        sock = bound_socket(settings.http_host, port, reuse_port)
    except OSError as exc:
        print(
            f"端口 {port} 无法监听（{service}）/ cannot listen on port {port} ({service}): {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    config = uvicorn.Config(
        f"services.{service}.app:create_app",
        factory=True,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 3  # 3: the app did not start (uvicorn's own code for it)


def bound_socket(host: str, port: int, reuse_port: bool):
    """Bound, not yet listening: uvicorn listens only once the app has started, so no connection
    waits on a replica that is still starting (or never will)."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait out TIME_WAIT
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def run_relay(settings: Settings, service: str) -> int:
    """A stand-alone relay (for scaling it apart from the API, or running several replicas)."""
    from kit import db, telemetry
    from kit.bus import create_broker
    from kit.outbox import relay_of
    from kit.workers import Supervised

    telemetry.setup(f"{service}-relay", settings.otel_exporter, settings.log_level)
    pool = await db.create_pool(settings, service, size=2)
    broker = create_broker(settings.nats_servers, f"{service}-relay")
    await broker.connect()
    relay = Supervised(relay_of(service, settings, pool, broker.connection.jetstream()))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, relay.stop)
    try:
        await relay.run()
    finally:
        await broker.stop()
        await pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
