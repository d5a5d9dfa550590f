// Strings of the development pages.
import { setup } from "./i18n.js";

setup({
  en: {
    "dev.sms.title": "SMS sent (development)",
    "dev.sms.note": "Development only: the last messages of the console SMS backend, newest first. This page refreshes every 3 seconds.",
    "dev.sms.at": "Sent", "dev.sms.to": "To", "dev.sms.text": "Message", "dev.sms.empty": "No messages yet.",
  },
  zh: {
    "dev.sms.title": "已发送短信（开发环境）",
    "dev.sms.note": "仅限开发环境：控制台短信后端最近发送的消息，最新的在前。本页每 3 秒刷新一次。",
    "dev.sms.at": "发送时间", "dev.sms.to": "收件人", "dev.sms.text": "内容", "dev.sms.empty": "暂无消息。",
  },
});
