"""The floor of the throughput benchmark: Flask and SQLAlchemy with nothing of the product.

One route runs one SQLAlchemy query against the product's database (``DATABASE_URL``) and
returns a small JSON body; gunicorn serves it with the product's own settings, so the
product's figures divided by this one's say what the product adds to the stack.

    DATABASE_URL=sqlite:///... gunicorn -c gunicorn.conf.py bench.floor_app:app
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy.orm import Session

engine = sa.create_engine(os.environ["DATABASE_URL"])
agreements = sa.table("agreements", sa.column("id"), sa.column("code"), sa.column("title"))

app = Flask(__name__)


@app.get("/floor/<code>")
def floor(code: str):
    with Session(engine) as session:
        row = session.execute(
            sa.select(agreements.c.id, agreements.c.title).where(agreements.c.code == code)
        ).one()
    return jsonify({"id": row.id, "title": row.title})
