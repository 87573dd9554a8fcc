// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Receiver of a transfer callback (in the manner of ERC-777 or ERC-1363 hooks).
interface ITransferHook {
    /// @notice Called by the token after every transfer from or to the hooked account.
    function onTokenTransfer(address from, address to, uint256 value) external;
}

/// @title A token that calls back into hooked accounts on every transfer
/// @notice Lets a hostile account run code in the middle of a deposit or withdrawal, to show that
/// reentrancy gains nothing. The callback's revert propagates, so a hooked account can also make
/// every transfer to it fail (a reverting receiver).
contract HookedReentrantToken is ERC20 {
    /// @notice Accounts that get a callback on transfers from or to them.
    mapping(address account => bool) public hooked;

    constructor() ERC20("Hooked Reentrant Token", "HOOK") {}

    /// @notice Mints `amount` to `to` (no callback).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Turns callbacks for the caller on or off.
    function setHooked(bool on) external {
        hooked[msg.sender] = on;
    }

    /// @dev Moves the tokens, then calls back the hooked parties.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && to != address(0)) {
            if (hooked[from]) ITransferHook(from).onTokenTransfer(from, to, value);
            if (hooked[to]) ITransferHook(to).onTokenTransfer(from, to, value);
        }
    }
}
