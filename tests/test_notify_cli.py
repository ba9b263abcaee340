"""`phonghop notify-test`: the operator's check of the notification settings,
against a real SMTP server and gateway receiver run by the test."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, free_port
from tests.notify_support import GatewayReceiver, SmtpSink


def run(**env: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "collab_server", "notify-test", "--to",
            "thu.ky@quangbinh.gov.vn", "--phone", "0912345678"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("PHONGHOP_")}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**base, **env})


def test_a_test_message_by_each_channel_and_a_clear_answer_when_one_fails() -> None:
    smtp, receiver = SmtpSink(port=free_port()), GatewayReceiver(port=free_port())
    smtp.start()
    receiver.start()
    try:
        env = {"PHONGHOP_SMTP_HOST": "127.0.0.1", "PHONGHOP_SMTP_PORT": str(smtp.port),
               "PHONGHOP_SMTP_TLS": "none", "PHONGHOP_MAIL_FROM": "phonghop@quangbinh.gov.vn",
               "PHONGHOP_GATEWAY_URL": f"http://127.0.0.1:{receiver.server.server_port}/",
               "PHONGHOP_GATEWAY_SECRET": "bi-mat-cong"}
        done = run(**env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Thư điện tử tới thu.ky@quangbinh.gov.vn: máy chủ thư đã nhận." in done.stdout
        assert "Tin nhắn tới 0912345678: cổng tin nhắn đã nhận." in done.stdout
        (mail,) = smtp.to("thu.ky@quangbinh.gov.vn")
        assert mail.subject == "Thư thử của Phòng họp không giấy"
        (post,) = receiver.to("0912345678")
        assert post.signed("bi-mat-cong")

        smtp.stop()
        receiver.status = 500
        failed = run(**env, PHONGHOP_SMTP_USER="phonghop",
                     PHONGHOP_SMTP_PASSWORD="mat-khau-smtp-khong-in-ra")
        assert failed.returncode == 1
        assert "không gửi được: Không kết nối được máy chủ thư" in failed.stdout
        assert "không gửi được: Cổng tin nhắn trả lời HTTP 500" in failed.stdout
        assert "mat-khau-smtp-khong-in-ra" not in failed.stdout + failed.stderr

        unset = run()
        assert unset.returncode == 1
        assert "chưa cấu hình PHONGHOP_SMTP_HOST" in unset.stdout
    finally:
        smtp.stop()
        receiver.stop()
