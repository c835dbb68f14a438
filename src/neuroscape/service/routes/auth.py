"""POST /auth/token (OAuth2 password flow) and GET /me."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm

from ...store.users import User
from ..auth import authenticate, current_user, issue_token

router = APIRouter(tags=["auth"])


@router.post("/auth/token")
def token(request: Request, form: OAuth2PasswordRequestForm = Depends()):
    """A short-lived bearer token for a username and password."""
    user = authenticate(request, form.username, form.password)
    if user is None:
        raise HTTPException(status_code=401, detail="wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    access, seconds = issue_token(request, user)
    return {"access_token": access, "token_type": "bearer", "expires_in": seconds}


@router.get("/me")
def me(user: User = Depends(current_user)):
    return {"username": user.username, "role": user.role}
