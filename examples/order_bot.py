"""An order-status bot for Helpdesk: answers "where is my order 1042?" from a CSV, and hands
everything else to people. Only the standard library; runs anywhere on the shop's network.

    python main.py token create "Order bot" --scope read,reply --first-responder web   # prints TOKEN
    HELPDESK_URL=http://127.0.0.1:8080 HELPDESK_TOKEN=TOKEN python examples/order_bot.py orders.csv
"""
import csv
import json
import os
import re
import sys
import urllib.request

URL = os.environ.get("HELPDESK_URL", "http://127.0.0.1:8080").rstrip("/")
TOKEN = os.environ["HELPDESK_TOKEN"]


def call(method, path, body=None):
    request = urllib.request.Request(URL + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def main(orders_csv):
    with open(orders_csv, newline="") as f:
        orders = {row["order"]: row["status"] for row in csv.DictReader(f)}  # columns: order,status
    me = call("GET", "/api/v1/token")["id"]
    cursor = call("GET", "/api/v1/events")["next"]  # where "from now on" begins
    print(f"listening for events after {cursor}", flush=True)
    while True:  # long poll: each call waits up to 25 s for something to happen
        answer = call("GET", f"/api/v1/events?wait=25&after={cursor}")
        cursor = answer["next"]
        for event in answer["events"]:
            data = event["data"]
            if event["type"] != "message.received" or data.get("bot_token_id") != me:
                continue  # not a customer message in a conversation this bot answers first
            conversation = data["conversation_id"]
            known = [n for n in re.findall(r"\d{4,6}", data["body"]) if n in orders]
            if known:
                call("POST", f"/api/v1/conversations/{conversation}/replies", {
                    "body": f"Order {known[0]}: {orders[known[0]]}. Anything else? Write 'agent' for a person.",
                    "then": "open", "idempotency_key": event["id"]})
            else:
                call("POST", f"/api/v1/conversations/{conversation}/handoff",
                     {"reason": "not a question about an order's status"})


if __name__ == "__main__":
    main(sys.argv[1])
